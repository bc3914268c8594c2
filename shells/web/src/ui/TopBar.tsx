// The bar at the top of every signed-in page: the product, where you are, problems and progress,
// the reviews and their notification bell, who you are, log out.
import type { ReactNode } from "react";
import { useSession } from "../auth/session";
import { NotificationBell } from "../reviews/NotificationBell";
import { navigate } from "../router";
import { PageLink } from "./PageLink"; // web20

export function TopBar({ children }: { children?: ReactNode }) {
  const session = useSession();
  return (
    <header className="topbar">
      <a
        className="brand"
        href="/"
        onClick={(e) => {
          e.preventDefault();
          navigate("/");
        }}
      >
        <span className="logo" aria-hidden="true">
          &lt;/&gt;
        </span>{" "}
        Codeyard
      </a>
      <div className="topbar-middle">{children}</div>
      <a
        href="/problems"
        onClick={(e) => {
          e.preventDefault();
          navigate("/problems");
        }}
      >
        Problems
      </a>
      <a
        href="/progress"
        onClick={(e) => {
          e.preventDefault();
          navigate("/progress");
        }}
      >
        Progress
      </a>
      <a
        href="/reviews"
        onClick={(e) => {
          e.preventDefault();
          navigate("/reviews");
        }}
      >
        Reviews
      </a>
      {/* web20: the organizations page. */}
      <PageLink path="/orgs">Organizations</PageLink>
      {session.user?.role === "admin" && (
        // admin20: the admin console, for admins only.
        <a
          href="/admin"
          onClick={(e) => {
            e.preventDefault();
            navigate("/admin");
          }}
        >
          Admin
        </a>
      )}
      <NotificationBell />
      <span className="muted" data-testid="current-user">
        {session.user?.username}
      </span>
      <button onClick={() => void session.logout()}>Log out</button>
    </header>
  );
}
