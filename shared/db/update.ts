/**
 * Builds `SET a = :a, … REMOVE x, …` with placeholder names for every attribute,
 * so any field name (reserved words included) can be written.
 */
export function setAndRemove(
  set: Record<string, unknown>,
  remove: readonly string[],
  raw: Array<{ clause: string; names: Record<string, string>; values: Record<string, unknown> }> = [],
) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets = Object.entries(set).map(([k, v], i) => {
    names[`#s${i}`] = k;
    values[`:s${i}`] = v;
    return `#s${i} = :s${i}`;
  });
  for (const r of raw) {
    sets.push(r.clause);
    Object.assign(names, r.names);
    Object.assign(values, r.values);
  }
  const removes = remove.map((k, i) => {
    names[`#r${i}`] = k;
    return `#r${i}`;
  });
  return {
    expression: [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean).join(' '),
    names,
    values,
  };
}
