// The page chooser: login and sign-up for visitors, the workspace list and the IDE for a
// signed-in person. The IDE (and Monaco with it) loads on first use.
import { lazy, Suspense, useEffect } from "react";
import { AuthPage } from "./auth/AuthPage";
import { SessionProvider, useSession } from "./auth/session";
import { navigate, parseRoute, usePath } from "./router";
import { LiveEventsProvider } from "./reviews/live";
import { ReviewsPage } from "./reviews/ReviewsPage";
import { ProblemsPage } from "./problems/ProblemsPage";
import { ProgressPage } from "./progress/ProgressPage";
import { ErrorBoundary } from "./ui/ErrorBoundary";
import { WorkspacesPage } from "./workspaces/WorkspacesPage";
import { AdminPage } from "./admin/AdminPage"; // admin20
import { OrgPage } from "./orgs/OrgPage"; // web20
import { OrgsPage } from "./orgs/OrgsPage"; // web20

const IdePage = lazy(() => import("./ide/IdePage"));
const ReviewPage = lazy(() => import("./reviews/ReviewPage"));
const ProblemPage = lazy(() => import("./problems/ProblemPage"));

function Loading({ text }: { text: string }) {
  return (
    <div className="loading" role="status">
      {text}
    </div>
  );
}

function Pages() {
  const session = useSession();
  const route = parseRoute(usePath());
  const signedIn = session.status === "authenticated";
  const visitorPage = route.page === "login" || route.page === "signup";

  useEffect(() => {
    if (session.status === "anonymous" && !visitorPage) navigate("/login", { replace: true });
    if (signedIn && visitorPage) navigate("/", { replace: true });
  }, [session.status, signedIn, visitorPage]);

  if (session.status === "loading") return <Loading text="Loading…" />;
  if (session.status === "offline") return <Loading text="Cannot reach the server — retrying…" />;
  if (route.page === "login" || route.page === "signup") {
    return signedIn ? <Loading text="Loading…" /> : <AuthPage key={route.page} mode={route.page} />;
  }
  if (!signedIn) return <Loading text="Loading…" />;
  // admin20: the admin console (src/admin); the server refuses its routes to anyone else.
  if (window.location.pathname === "/admin") return <AdminPage />;
  switch (route.page) {
    case "workspaces":
      return <WorkspacesPage />;
    case "ide":
      return (
        <Suspense fallback={<Loading text="Loading the editor…" />}>
          <IdePage key={route.id} id={route.id} />
        </Suspense>
      );
    case "reviews":
      return <ReviewsPage />;
    case "review":
      return (
        <Suspense fallback={<Loading text="Loading the review…" />}>
          <ReviewPage key={route.id} id={route.id} />
        </Suspense>
      );
    case "problems":
      return <ProblemsPage />;
    case "problem":
      return (
        <Suspense fallback={<Loading text="Loading the problem…" />}>
          <ProblemPage key={route.id} id={route.id} />
        </Suspense>
      );
    case "progress":
      return <ProgressPage />;
    // web20: organizations.
    case "orgs":
      return <OrgsPage />;
    case "org":
      return <OrgPage key={route.id} id={route.id} />;
    default:
      return (
        <main className="workspaces">
          <p className="error">There is no page at this address.</p>
          <button onClick={() => navigate("/")}>Go to your workspaces</button>
        </main>
      );
  }
}

export function App() {
  return (
    <ErrorBoundary>
      <SessionProvider>
        <LiveEventsProvider>
          <ErrorBoundary>
            <Pages />
          </ErrorBoundary>
        </LiveEventsProvider>
      </SessionProvider>
    </ErrorBoundary>
  );
}
