// The admin console's Users tab: search, role, reviewer level, disable or enable, log out.
import { useCallback, useState } from "react";
import { DataTable } from "../ui/DataTable";
import { ErrorLine, useLoaded } from "../ui/useAction";
import type { AdminApi, AdminUser } from "./api";

export function UsersTab({ api }: { api: AdminApi }) {
  const [search, setSearch] = useState("");
  const load = useCallback(() => api.users(search), [api, search]);
  const { data: users, error, busy, run } = useLoaded(load, 200);
  return (
    <section aria-label="Users">
      <label className="field inline">
        <span>Search users</span>
        <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="name" />
      </label>
      <ErrorLine error={error} />
      <DataTable<AdminUser>
        label="Users"
        rows={users ?? []}
        rowKey={(u) => u.id}
        rowData={(u) => ({ "data-user": u.username })}
        columns={[
          { header: "User", cell: (u) => u.username + (u.display_name && u.display_name !== u.username ? ` (${u.display_name})` : "") },
          {
            header: "Role",
            cell: (u) => (
              <select aria-label={`Role of ${u.username}`} value={u.role} disabled={busy} onChange={(e) => void run(() => api.update(u.id, { role: e.target.value }))}>
                <option value="user">user</option>
                <option value="admin">admin</option>
              </select>
            ),
          },
          {
            header: "Reviewer level",
            cell: (u) => (
              <select
                aria-label={`Reviewer level of ${u.username}`}
                value={u.reviewer_level}
                disabled={busy}
                onChange={(e) => void run(() => api.update(u.id, { reviewer_level: Number(e.target.value) }))}
              >
                {[0, 1, 2, 3, 4].map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            ),
          },
          { header: "Status", cell: (u) => (u.disabled ? "disabled" : "active") },
          {
            header: "Actions",
            className: "row",
            cell: (u) => (
              <>
                <button disabled={busy} onClick={() => void run(() => api.setDisabled(u.id, !u.disabled))}>
                  {u.disabled ? `Enable ${u.username}` : `Disable ${u.username}`}
                </button>
                <button disabled={busy} onClick={() => void run(() => api.forceLogout(u.id))}>
                  Log out {u.username}
                </button>
              </>
            ),
          },
        ]}
      />
      {users !== null && users.length === 0 && <p className="muted">No user matches.</p>}
    </section>
  );
}
