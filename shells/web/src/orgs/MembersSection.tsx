// An organization's members with their roles. Owners and admins add members, change roles and
// remove members, as far as their role allows (an admin leaves owners alone; the server decides
// and its refusal is shown); everyone else sees the list read-only. Anyone may leave.
import { useCallback, useState } from "react";
import { useSession } from "../auth/session";
import { navigate } from "../router";
import { ConfirmDialog } from "../ui/Dialog";
import { DataTable } from "../ui/DataTable";
import { ErrorLine, useLoaded } from "../ui/useAction";
import type { Org, OrgMember, OrgRole, OrgsApi } from "./api";
import { canManage, grantableRoles, mayChange } from "./logic";

export function MembersSection({ api, org, onChanged }: { api: OrgsApi; org: Org; onChanged: () => void }) {
  const me = useSession().user?.id;
  const load = useCallback(() => api.members(org.id), [api, org.id]);
  const { data: members, error, busy, run, again } = useLoaded(load);
  const [name, setName] = useState("");
  const [role, setRole] = useState<OrgRole>("member");
  const [removing, setRemoving] = useState<OrgMember | null>(null);
  const manage = canManage(org.role) && !org.personal;
  const roles = grantableRoles(org.role);
  const change = (fn: () => Promise<unknown>) =>
    run(async () => {
      await fn();
      onChanged();
    });
  return (
    <section aria-labelledby="org-members">
      <h2 id="org-members">Members</h2>
      {manage && (
        <form
          className="row"
          aria-label="Add a member"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) void change(() => api.addMember(org.id, name.trim(), role)).then(() => setName(""));
          }}
        >
          <label className="field inline">
            <span>Username</span>
            <input value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} />
          </label>
          <label className="field inline">
            <span>Role</span>
            <select value={role} onChange={(e) => setRole(e.target.value as OrgRole)}>
              {roles.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={busy}>
            Add member
          </button>
        </form>
      )}
      <ErrorLine error={error} />
      <DataTable<OrgMember>
        label="Members"
        rows={members ?? []}
        rowKey={(m) => m.user_id}
        rowData={(m) => ({ "data-member": m.username })}
        columns={[
          { header: "Member", cell: (m) => m.username + (m.display_name && m.display_name !== m.username ? ` (${m.display_name})` : "") },
          {
            header: "Role",
            cell: (m) =>
              manage && mayChange(org.role, m.role) ? (
                <select aria-label={`Role of ${m.username}`} value={m.role} disabled={busy} onChange={(e) => void change(() => api.setRole(org.id, m.user_id, e.target.value as OrgRole))}>
                  {(roles.includes(m.role) ? roles : [m.role, ...roles]).map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              ) : (
                m.role
              ),
          },
          {
            header: "Actions",
            cell: (m) =>
              (manage && mayChange(org.role, m.role)) || m.user_id === me ? (
                <button disabled={busy || org.personal} onClick={() => setRemoving(m)}>
                  {m.user_id === me ? "Leave" : `Remove ${m.username}`}
                </button>
              ) : null,
          },
        ]}
      />
      {removing && (
        <ConfirmDialog
          title={removing.user_id === me ? `Leave ${org.name}?` : `Remove ${removing.username}?`}
          message={removing.user_id === me ? "You will no longer see this organization." : `${removing.username} will no longer be a member of ${org.name}.`}
          confirm={removing.user_id === me ? "Leave" : "Remove"}
          danger
          onCancel={() => setRemoving(null)}
          onConfirm={async () => {
            await api.removeMember(org.id, removing.user_id);
            setRemoving(null);
            if (removing.user_id === me) return navigate("/orgs");
            again();
            onChanged();
          }}
        />
      )}
    </section>
  );
}
