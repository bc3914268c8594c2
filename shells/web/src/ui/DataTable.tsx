// A table of records with a header row (the admin console's and the organization page's lists):
// columns as a header and a cell per record, a name for screen readers, and data-* attributes
// per row for the tests. Plain markup (class "ws-table"), no sorting or paging of its own.
import type { ReactNode } from "react";

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  className?: string;
}

export function DataTable<T>({
  label,
  columns,
  rows,
  rowKey,
  rowData,
}: {
  label: string;
  columns: Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string | number;
  rowData?: (row: T) => Record<`data-${string}`, string>;
}) {
  return (
    <table className="ws-table" aria-label={label}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.header} scope="col">
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={rowKey(row)} {...(rowData ? rowData(row) : {})}>
            {columns.map((c) => (
              <td key={c.header} className={c.className}>
                {c.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A labelled drop-down that filters a list ("State: any, running, ..."). */
export function ChoiceFilter<V extends string>({
  label,
  value,
  choices,
  onChange,
}: {
  label: string;
  value: V;
  choices: readonly (V | { value: V; label: string })[];
  onChange: (value: V) => void;
}) {
  return (
    <label className="field inline">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value as V)}>
        {choices.map((c) => {
          const { value: v, label: l } = typeof c === "string" ? { value: c, label: c } : c;
          return (
            <option key={v} value={v}>
              {l}
            </option>
          );
        })}
      </select>
    </label>
  );
}
