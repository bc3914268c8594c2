// Catches a rendering error anywhere below it and shows what happened with a way out, so a bug
// never leaves a blank screen.
import { Component, type ErrorInfo, type ReactNode } from "react";

interface State {
  error: Error | null;
}

export class ErrorBoundary extends Component<{ children: ReactNode; where?: string }, State> {
  state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error("codeyard: UI error", error, info.componentStack);
  }

  render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div className="crash" role="alert">
        <h1>Something went wrong{this.props.where ? ` in ${this.props.where}` : ""}</h1>
        <p>{error.message || String(error)}</p>
        <p className="muted">Your saved files are safe on the server.</p>
        <div className="row">
          <button className="primary" onClick={() => this.setState({ error: null })}>
            Try again
          </button>
          <button onClick={() => window.location.reload()}>Reload the page</button>
          <button onClick={() => window.location.assign("/")}>Back to workspaces</button>
        </div>
      </div>
    );
  }
}
