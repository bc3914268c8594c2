// Editing an organization's quotas (owners and admins): both sets in one form, an empty field is
// unlimited; sent with If-Match of the version shown, so a change made meanwhile is refused
// (412) rather than overwritten. Focus returns to the button that opened it (ui/Dialog).
import { useState } from "react";
import { describeError } from "../api/errors";
import { DialogFooter, Modal } from "../ui/Dialog";
import { QUOTA_KEYS, type Org, type OrgsApi } from "./api";
import { QUOTA_LABELS, quotaForm, quotasFromForm, type QuotaForm } from "./logic";

const SETS = [
  { set: "org", title: "The whole organization" },
  { set: "member", title: "Each member" },
] as const;

export function QuotasDialog({ api, org, onSaved, onCancel }: { api: OrgsApi; org: Org; onSaved: (org: Org) => void; onCancel: () => void }) {
  const [form, setForm] = useState<QuotaForm>(() => quotaForm(org));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    const q = quotasFromForm(form);
    if ("error" in q) return setError(q.error);
    setBusy(true);
    try {
      onSaved(await api.setQuotas(org.id, q.quotas, org.version));
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };
  return (
    <Modal title={`Quotas of ${org.name}`} onCancel={onCancel} wide>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <p className="muted">Leave a field empty for no limit.</p>
        {SETS.map(({ set, title }) => (
          <fieldset key={set}>
            <legend>{title}</legend>
            {QUOTA_KEYS.map((key) => (
              <label key={key} className="field inline">
                <span>{`${QUOTA_LABELS[key]} (${set === "org" ? "organization" : "per member"})`}</span>
                <input
                  inputMode="numeric"
                  value={form[set][key]}
                  placeholder="unlimited"
                  onChange={(e) => {
                    setForm({ ...form, [set]: { ...form[set], [key]: e.target.value } });
                    setError(null);
                  }}
                />
              </label>
            ))}
          </fieldset>
        ))}
        <DialogFooter error={error} confirm="Save quotas" busy={busy} onCancel={onCancel} />
      </form>
    </Modal>
  );
}
