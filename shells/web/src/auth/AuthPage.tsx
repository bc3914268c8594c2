// Log in and sign up: one form, two modes. Errors from the server (taken name, wrong password,
// weak password) are shown as they come, in words.
import { useState } from "react";
import { describeError } from "../api/errors";
import { navigate } from "../router";
import { takeReturn } from "./returnTo";
import { useSession } from "./session";

export function AuthPage({ mode }: { mode: "login" | "signup" }) {
  const session = useSession();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const signup = mode === "signup";

  const submit = async () => {
    setError(null);
    if (signup && password !== confirm) {
      setError("The two passwords differ.");
      return;
    }
    setBusy(true);
    try {
      if (signup) await session.signup(username.trim(), password);
      else await session.login(username.trim(), password);
      navigate(takeReturn(), { replace: true }); // back to the deep link that asked to log in
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  return (
    <main className="auth">
      <form
        className="card"
        aria-label={signup ? "Sign up" : "Log in"}
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <div className="brand">
          <span className="logo" aria-hidden="true">
            &lt;/&gt;
          </span>{" "}
          Codeyard
        </div>
        <h1>{signup ? "Create an account" : "Log in"}</h1>
        {session.notice && !signup && <p className="notice">{session.notice}</p>}
        <label className="field">
          <span>Username</span>
          <input
            name="username"
            autoComplete="username"
            autoFocus
            required
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            name="password"
            type="password"
            autoComplete={signup ? "new-password" : "current-password"}
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {signup && (
          <label className="field">
            <span>Repeat password</span>
            <input
              name="confirm"
              type="password"
              autoComplete="new-password"
              required
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
            />
          </label>
        )}
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary wide" disabled={busy}>
          {busy ? "Please wait…" : signup ? "Sign up" : "Log in"}
        </button>
        <p className="muted center">
          {signup ? "Already have an account? " : "New here? "}
          <a
            href={signup ? "/login" : "/signup"}
            onClick={(e) => {
              e.preventDefault();
              navigate(signup ? "/login" : "/signup");
            }}
          >
            {signup ? "Log in" : "Create an account"}
          </a>
        </p>
      </form>
    </main>
  );
}
