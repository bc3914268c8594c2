// A quota's usage against its limit: a labelled ARIA meter with the numbers in text, so a screen
// reader reads "Running workspaces: 2 of 5"; the warning style from 80 % (logic.ts WARN_AT), the
// full style at the limit; a quota without a limit is a line of text saying "unlimited".
import type { Meter } from "./logic";

export function QuotaMeter({ meter, scope, compact }: { meter: Meter; scope?: string; compact?: boolean }) {
  const name = scope ? `${meter.label} (${scope})` : meter.label;
  const text = `${meter.label}: ${meter.text}`;
  if (meter.limit === null || meter.used === null) {
    return (
      <div className={`quota-meter ${meter.level}`} data-quota={meter.key}>
        <span className="quota-text">{text}</span>
      </div>
    );
  }
  return (
    <div className={`quota-meter ${meter.level}${compact ? " compact" : ""}`} data-quota={meter.key} data-level={meter.level}>
      <span className="quota-text" aria-hidden="true">
        {text}
      </span>
      <div
        className="quota-bar"
        role="meter"
        aria-label={name}
        aria-valuemin={0}
        aria-valuemax={meter.limit}
        aria-valuenow={Math.min(meter.used, meter.limit)}
        aria-valuetext={`${meter.label}: ${meter.text}${meter.level === "full" ? ", at the limit" : ""}`}
      >
        <div className="quota-fill" style={{ width: `${meter.percent}%` }} />
      </div>
    </div>
  );
}

export function MeterList({ meters, scope, title }: { meters: Meter[]; scope: string; title: string }) {
  return (
    <section className="quota-list" aria-label={title}>
      <h2>{title}</h2>
      {meters.map((m) => (
        <QuotaMeter key={m.key} meter={m} scope={scope} />
      ))}
    </section>
  );
}
