// The admin console (/admin, docs/admin.md): users (search, disable, role, level, log out),
// workspaces (stop), the job queue (stats, retry, cancel), replicas and the audit log (filter,
// export), one file per tab over the shared table, filter and action pieces (src/ui/DataTable,
// src/ui/useAction). Only admins reach it: the top bar links it for them, and the server
// answers 404 to anyone else whatever the page does. Tabs follow the WAI-ARIA pattern.
import { useMemo, useRef, useState } from "react";
import { useSession } from "../auth/session";
import { onTabKey } from "../ui/tabs";
import { TopBar } from "../ui/TopBar";
import { AdminApi } from "./api";
import { AuditTab } from "./AuditTab";
import { JobsTab, ReplicasTab, WorkspacesTab } from "./QueueTabs";
import { UsersTab } from "./UsersTab";

const TABS = [
  { id: "users", label: "Users", Panel: UsersTab },
  { id: "workspaces", label: "Workspaces", Panel: WorkspacesTab },
  { id: "jobs", label: "Jobs", Panel: JobsTab },
  { id: "replicas", label: "Replicas", Panel: ReplicasTab },
  { id: "audit", label: "Audit log", Panel: AuditTab },
] as const;

export function AdminPage() {
  const session = useSession();
  const api = useMemo(() => new AdminApi(session.client), [session.client]);
  const [index, setIndex] = useState(0);
  const list = useRef<HTMLDivElement>(null);
  if (session.user?.role !== "admin") {
    return (
      <main className="workspaces">
        <p className="error">There is no page at this address.</p>
      </main>
    );
  }
  const { id, Panel } = TABS[index];
  return (
    <div className="page">
      <TopBar>
        <span>Admin</span>
      </TopBar>
      <main className="workspaces admin-page">
        <div className="row review-tabs" role="tablist" aria-label="Admin views" ref={list}>
          {TABS.map((t, i) => (
            <button
              key={t.id}
              id={`admin-tab-${t.id}`}
              role="tab"
              aria-controls={`admin-panel-${t.id}`}
              tabIndex={i === index ? 0 : -1}
              aria-selected={i === index}
              className={i === index ? "active" : ""}
              onClick={() => setIndex(i)}
              onKeyDown={(e) => onTabKey(e, list.current, i, TABS.length, setIndex)}
            >
              {t.label}
            </button>
          ))}
        </div>
        <div role="tabpanel" id={`admin-panel-${id}`} aria-labelledby={`admin-tab-${id}`}>
          <Panel api={api} />
        </div>
      </main>
    </div>
  );
}

export default AdminPage;
