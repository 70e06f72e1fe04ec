import type { Child } from 'hono/jsx';

/**
 * A list as a table with one header row, or a sentence when there is nothing to
 * list. `null` columns are left out (columns only some readers see).
 */
export function Table<T>(p: { rows: readonly T[]; empty: Child; columns: ReadonlyArray<Child | null>; row: (item: T, i: number) => Child; labelledBy?: string; caption?: string }) {
  if (p.rows.length === 0) return <p>{p.empty}</p>;
  return (
    <table aria-labelledby={p.labelledBy}>
      {p.caption ? <caption>{p.caption}</caption> : null}
      <thead>
        <tr>
          {p.columns.filter((c) => c !== null).map((c) => (
            <th scope="col">{c}</th>
          ))}
        </tr>
      </thead>
      <tbody>{p.rows.map((r, i) => p.row(r, i))}</tbody>
    </table>
  );
}
