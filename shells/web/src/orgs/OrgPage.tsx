// One organization (/orgs/<id or slug>): its name and my role, each quota as a meter of usage
// against its limit (the organization's and my own), the members, and usage per day with
// exports. Owners and admins edit the quotas and the members. Anyone who is not a member gets
// the not-found view, as the server answers 404. The meters refresh every 10 s.
import { useCallback, useEffect, useMemo, useState } from "react";
import { ApiError, describeError } from "../api/errors";
import { useSession } from "../auth/session";
import { navigate } from "../router";
import { TopBar } from "../ui/TopBar";
import { usePolling } from "../ui/usePolling";
import { ErrorLine } from "../ui/useAction";
import { loadOrgNow, OrgsApi, type OrgNow } from "./api";
import { canManage, metersOf } from "./logic";
import { MeterList } from "./Meter";
import { MembersSection } from "./MembersSection";
import { QuotasDialog } from "./QuotasDialog";
import { UsageSection } from "./UsageSection";

export function NotFound() {
  return (
    <main className="workspaces">
      <p className="error">There is no page at this address.</p>
      <button onClick={() => navigate("/")}>Go to your workspaces</button>
    </main>
  );
}

export function OrgPage({ id }: { id: string }) {
  const { client } = useSession();
  const api = useMemo(() => new OrgsApi(client), [client]);
  const [now, setNow] = useState<OrgNow | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState(false);
  const load = useCallback(async () => {
    try {
      setNow(await loadOrgNow(api, id));
      setError(null);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) setMissing(true);
      else setError(describeError(err));
      if (err instanceof ApiError && err.status === 429) throw err; // pauses the refresh
    }
  }, [api, id]);
  useEffect(() => {
    void load().catch(() => {});
  }, [load]);
  usePolling(load, 10_000, !missing);

  if (missing) return <NotFound />;
  const org = now?.org;
  return (
    <div className="page">
      <TopBar>
        <span>Organization</span>
      </TopBar>
      <main className="workspaces org-page" aria-busy={org ? undefined : true}>
        <ErrorLine error={error} />
        {!org && !error && <p className="muted">Loading…</p>}
        {org && now && (
          <>
            <h1>{org.name}</h1>
            <p data-testid="org-role">
              {org.personal ? "Your personal organization" : `@${org.slug}`} · your role: <strong>{org.role}</strong>
            </p>
            <div className="quota-columns">
              <MeterList title="Organization quotas" scope="organization" meters={metersOf(org.quotas.org, org.usage?.org, now.cpuOrg)} />
              <MeterList title="My quotas" scope="mine" meters={metersOf(org.quotas.member, org.usage?.me, now.cpuMe)} />
            </div>
            {canManage(org.role) && <button onClick={() => setEditing(true)}>Edit quotas</button>}
            <MembersSection api={api} org={org} onChanged={() => void load()} />
            <UsageSection api={api} org={org} />
            {editing && (
              <QuotasDialog
                api={api}
                org={org}
                onCancel={() => setEditing(false)}
                onSaved={() => {
                  setEditing(false);
                  void load();
                }}
              />
            )}
          </>
        )}
      </main>
    </div>
  );
}

export default OrgPage;
