// The reviewer's decision: approve (a message optional), request changes or reject (a message
// required, as the server requires it).
import { useState } from "react";
import { describeError } from "../api/errors";
import { Modal } from "../ui/Dialog";
import type { Decision } from "./api";

const TITLE: Record<Decision, string> = {
  approve: "Approve",
  request_changes: "Request changes",
  reject: "Reject",
};

export function DecisionDialog({ decision, onDecide, onCancel }: { decision: Decision; onDecide(message: string): Promise<void>; onCancel(): void }) {
  const [message, setMessage] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const required = decision !== "approve";
  return (
    <Modal title={TITLE[decision]} onCancel={onCancel}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (required && message.trim() === "") {
            setError("Say what must change: the author needs a message.");
            return;
          }
          setBusy(true);
          onDecide(message.trim()).catch((err: unknown) => {
            setError(describeError(err));
            setBusy(false);
          });
        }}
      >
        <label className="field">
          <span>{required ? "Message (required)" : "Message (optional)"}</span>
          <textarea rows={4} autoFocus value={message} aria-required={required} onChange={(e) => setMessage(e.target.value)} />
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="row end">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className={decision === "reject" ? "danger" : "primary"} disabled={busy}>
            {TITLE[decision]}
          </button>
        </div>
      </form>
    </Modal>
  );
}
