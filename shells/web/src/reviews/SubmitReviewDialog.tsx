// "Submit for review" from the IDE: title, description, priority and the reviewer level it
// needs. The workspace's saved files become revision 1 (the IDE saves every edited file
// first); the dialog then shows the created review with a link to its page.
import { useMemo, useState } from "react";
import { describeError } from "../api/errors";
import { useSession } from "../auth/session";
import { navigate } from "../router";
import { Modal } from "../ui/Dialog";
import { LEVELS, PRIORITIES, ReviewsApi, type Priority, type Review } from "./api";
import { statusLabel } from "./actions";

interface Props {
  workspaceId: string;
  workspaceName: string;
  /** Saves the edited files first; rejects (with a reason to show) when it cannot. */
  beforeSubmit?(): Promise<void>;
  onClose(): void;
}

export function SubmitReviewDialog({ workspaceId, workspaceName, beforeSubmit, onClose }: Props) {
  const { client } = useSession();
  const api = useMemo(() => new ReviewsApi(client), [client]);
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [priority, setPriority] = useState<Priority>("normal");
  const [level, setLevel] = useState(1);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<Review | null>(null);

  const submit = async () => {
    if (title.trim() === "") {
      setError("Give the review a title.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await beforeSubmit?.();
      setCreated(
        await api.create({ workspace_id: workspaceId, title: title.trim(), description, priority, required_level: level }),
      );
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  if (created) {
    const href = `/reviews/${encodeURIComponent(created.id)}`;
    return (
      <Modal title="Review submitted" onCancel={onClose}>
        <p data-testid="created-review">
          “{created.title}” is {statusLabel(created.status).toLowerCase()} as revision {created.revision}, priority{" "}
          {created.priority}, for reviewers of level {created.required_level} and above.
        </p>
        <div className="row end">
          <button type="button" onClick={onClose}>
            Close
          </button>
          <a
            className="button primary"
            href={href}
            data-autofocus
            onClick={(e) => {
              e.preventDefault();
              onClose();
              navigate(href);
            }}
          >
            Open the review
          </a>
        </div>
      </Modal>
    );
  }

  return (
    <Modal title="Submit for review" onCancel={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <p className="muted">The saved files of {workspaceName} become the review's first revision.</p>
        <label className="field">
          <span>Title</span>
          <input value={title} autoFocus maxLength={200} onChange={(e) => setTitle(e.target.value)} />
        </label>
        <label className="field">
          <span>Description</span>
          <textarea rows={5} value={description} onChange={(e) => setDescription(e.target.value)} />
        </label>
        <div className="row">
          <label className="field">
            <span>Priority</span>
            <select value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>
              {PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Required reviewer level</span>
            <select value={level} onChange={(e) => setLevel(Number(e.target.value))}>
              {LEVELS.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
        </div>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <div className="row end">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            Submit
          </button>
        </div>
      </form>
    </Modal>
  );
}
