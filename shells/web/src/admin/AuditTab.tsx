// The admin console's Audit log tab: filter (actor, action, target, time range), pages of 100
// (Older records), and the export as CSV or JSON (fetched with the bearer header, saved as a file).
import { useCallback, useEffect, useState } from "react";
import { describeError } from "../api/errors";
import { DataTable } from "../ui/DataTable";
import { ExportButtons } from "../ui/saveBlob";
import { ErrorLine } from "../ui/useAction";
import type { AdminApi, AuditRecord } from "./api";
import { EMPTY_AUDIT_FORM, auditQuery, detailText, shortTime, type AuditForm } from "./logic";

const FIELDS: { key: keyof AuditForm; label: string; type?: string }[] = [
  { key: "actor", label: "Actor (user id)" },
  { key: "action", label: "Action" },
  { key: "target", label: "Target" },
  { key: "from", label: "From", type: "datetime-local" },
  { key: "to", label: "To", type: "datetime-local" },
];

export function AuditTab({ api }: { api: AdminApi }) {
  const [form, setForm] = useState<AuditForm>(EMPTY_AUDIT_FORM);
  const [query, setQuery] = useState("");
  const [records, setRecords] = useState<AuditRecord[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(
    (q: string, cursor: string | null) => {
      const page = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}${q ? "&" + q : ""}`;
      api.audit(page).then(
        (p) => {
          setRecords((old) => (cursor ? [...old, ...p.items] : p.items));
          setNext(p.next_cursor);
          setError(null);
        },
        (e) => setError(describeError(e)),
      );
    },
    [api],
  );
  useEffect(() => load(query, null), [load, query]);
  const now = Date.now();
  return (
    <section aria-label="Audit log">
      <form
        className="row admin-filter"
        aria-label="Filter the audit log"
        onSubmit={(e) => {
          e.preventDefault();
          const q = auditQuery(form);
          if ("error" in q) setError(q.error);
          else setQuery(q.query);
        }}
      >
        {FIELDS.map((f) => (
          <label key={f.key} className="field inline">
            <span>{f.label}</span>
            <input type={f.type ?? "text"} value={form[f.key]} onChange={(e) => setForm({ ...form, [f.key]: e.target.value })} />
          </label>
        ))}
        <button type="submit">Filter</button>
        <ExportButtons fetchAs={(format) => api.exportAudit(query, format)} fileName={(format) => `audit.${format}`} onError={setError} />
      </form>
      <ErrorLine error={error} />
      <DataTable<AuditRecord>
        label="Audit records"
        rows={records}
        rowKey={(r) => r.id}
        rowData={(r) => ({ "data-action": r.action })}
        columns={[
          { header: "Time", cell: (r) => shortTime(r.ts, now) },
          { header: "Action", cell: (r) => r.action },
          { header: "Actor", cell: (r) => r.actor_id ?? "—" },
          { header: "Target", cell: (r) => r.target },
          { header: "Source", cell: (r) => r.source },
          { header: "Detail", cell: (r) => detailText(r.detail) },
        ]}
      />
      {next && <button onClick={() => load(query, next)}>Older records</button>}
    </section>
  );
}
