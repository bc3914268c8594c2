// My organizations (/orgs): each with my role and, in brief, its fullest quotas; a link to each
// organization's page. The same brief meters stand above the workspace list (OrgQuotaSummary),
// so usage against limits shows before anyone hits them.
import { useCallback, useMemo, useState } from "react";
import { useSession } from "../auth/session";
import { navigate } from "../router";
import { PageLink } from "../ui/PageLink";
import { TopBar } from "../ui/TopBar";
import { ErrorLine, useLoaded } from "../ui/useAction";
import { OrgsApi, type Org } from "./api";
import { limitedMeters } from "./logic";
import { QuotaMeter } from "./Meter";

function orgPath(org: Org): string {
  return `/orgs/${encodeURIComponent(org.slug)}`;
}

function OrgLink({ org }: { org: Org }) {
  return <PageLink path={orgPath(org)}>{org.personal ? `${org.name} (personal)` : org.name}</PageLink>;
}

function useMyOrgs() {
  const { client } = useSession();
  const api = useMemo(() => new OrgsApi(client), [client]);
  const load = useCallback(() => api.mine(), [api]);
  return { api, ...useLoaded(load) };
}

/** A new organization, its creator the owner; the server checks the name and the slug. */
function CreateOrgForm({ api, run, busy }: { api: OrgsApi; run: (fn: () => Promise<unknown>) => Promise<void>; busy: boolean }) {
  const [name, setName] = useState("");
  const [slug, setSlug] = useState("");
  return (
    <form
      className="row admin-filter"
      aria-label="Create an organization"
      onSubmit={(e) => {
        e.preventDefault();
        void run(async () => navigate(orgPath(await api.create(name.trim(), slug.trim()))));
      }}
    >
      <label className="field inline">
        <span>Name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="field inline">
        <span>Slug</span>
        <input value={slug} onChange={(e) => setSlug(e.target.value)} spellCheck={false} placeholder="cs101" />
      </label>
      <button type="submit" disabled={busy}>
        Create organization
      </button>
    </form>
  );
}

export function OrgsPage() {
  const { api, data: orgs, error, run, busy } = useMyOrgs();
  return (
    <div className="page">
      <TopBar>
        <span>Organizations</span>
      </TopBar>
      <main className="workspaces">
        <h1>My organizations</h1>
        <CreateOrgForm api={api} run={run} busy={busy} />
        <ErrorLine error={error} />
        <ul className="org-list">
          {(orgs ?? []).map((org) => (
            <li key={org.id} data-org={org.slug}>
              <OrgLink org={org} /> <span className="muted">your role: {org.role}</span>
              {limitedMeters(org, null)
                .slice(0, 2)
                .map((m) => (
                  <QuotaMeter key={m.key} meter={m} compact />
                ))}
            </li>
          ))}
        </ul>
      </main>
    </div>
  );
}

/** Above the workspace list: each of my organizations that has a limit, its fullest quota. */
export function OrgQuotaSummary() {
  const { data: orgs } = useMyOrgs();
  const shown = (orgs ?? []).map((org) => ({ org, meter: limitedMeters(org, null)[0] })).filter((x) => x.meter !== undefined);
  if (shown.length === 0) return null;
  return (
    <section className="org-summary" aria-label="Quotas">
      {shown.map(({ org, meter }) => (
        <div key={org.id} className="row" data-org={org.slug}>
          <OrgLink org={org} />
          <QuotaMeter meter={meter} scope={org.name} compact />
        </div>
      ))}
    </section>
  );
}

export default OrgsPage;
