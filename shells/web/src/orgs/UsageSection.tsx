// Usage over a date range, a row per day (CPU-seconds, wall-seconds, peak memory, stored bytes,
// jobs, runs): the organization's for its owners and admins (GET /orgs/{id}/usage), the
// caller's own share in it for a member (GET /users/me/usage, which is all a member may read).
// The exports need the bearer header, so they are fetched and saved as files (ui/saveBlob).
import { useCallback, useState } from "react";
import { DataTable } from "../ui/DataTable";
import { ExportButtons } from "../ui/saveBlob";
import { ErrorLine, useLoaded } from "../ui/useAction";
import type { Org, OrgsApi } from "./api";
import { canManage, checkRange, formatBytes, formatSeconds, perDay, utcDay, type DayRow } from "./logic";

export function UsageSection({ api, org }: { api: OrgsApi; org: Org }) {
  const [form, setForm] = useState(() => ({ from: utcDay(Date.now(), 29), to: utcDay(Date.now()) }));
  const [range, setRange] = useState(form);
  const whole = canManage(org.role);
  const load = useCallback(
    () => (whole ? api.orgUsage(org.id, range.from, range.to) : api.myUsage(range.from, range.to)),
    [api, org.id, whole, range],
  );
  const { data: report, error, setError } = useLoaded(load);
  const rows = report ? perDay(report, org.id) : null;
  const exportPath = whole ? `/orgs/${encodeURIComponent(org.id)}/usage?` : "/users/me/usage?";
  return (
    <section aria-labelledby="org-usage">
      <h2 id="org-usage">{whole ? "Usage" : "My usage"}</h2>
      <form
        className="row admin-filter"
        aria-label="Usage dates"
        onSubmit={(e) => {
          e.preventDefault();
          const problem = checkRange(form.from, form.to);
          if (problem) setError(problem);
          else setRange({ ...form });
        }}
      >
        <label className="field inline">
          <span>From</span>
          <input type="date" value={form.from} onChange={(e) => setForm({ ...form, from: e.target.value })} />
        </label>
        <label className="field inline">
          <span>To</span>
          <input type="date" value={form.to} onChange={(e) => setForm({ ...form, to: e.target.value })} />
        </label>
        <button type="submit">Show</button>
        <ExportButtons
          fetchAs={(format) => api.exportUsage(exportPath + new URLSearchParams(range).toString(), format)}
          fileName={(format) => `${whole ? `usage-${org.slug}` : "my-usage"}-${range.from}-${range.to}.${format}`}
          onError={setError}
        />
      </form>
      <ErrorLine error={error} />
      <p className="muted">Days are UTC.{whole ? "" : " A member sees their own share; the organization's owners and admins see everyone's."}</p>
      {rows !== null && rows.length === 0 && <p className="muted">Nothing ran in these days.</p>}
      {rows !== null && rows.length > 0 && (
        <DataTable<DayRow>
          label={whole ? "Usage per day" : "My usage per day"}
          rows={rows}
          rowKey={(d) => d.day}
          rowData={(d) => ({ "data-day": d.day })}
          columns={[
            { header: "Day", cell: (d) => d.day },
            { header: "CPU-seconds", cell: (d) => formatSeconds(d.cpu_seconds) },
            { header: "Wall-seconds", cell: (d) => formatSeconds(d.wall_seconds) },
            { header: "Peak memory", cell: (d) => formatBytes(d.peak_memory_bytes) },
            { header: "Stored", cell: (d) => formatBytes(d.stored_bytes) },
            { header: "Jobs", cell: (d) => d.jobs },
            { header: "Runs", cell: (d) => d.runs },
          ]}
        />
      )}
    </section>
  );
}
