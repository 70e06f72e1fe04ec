/**
 * What DynamoDB refuses to store, checked before a write so that a caller's bad
 * value is a 400 naming it instead of a failed write (a 500). The bounds are
 * DynamoDB's own (numbers, nesting, empty map keys) and ours, well inside them
 * (the size and depth of free-form fields, so one item stays under 400 KB).
 */

/**
 * DynamoDB stores magnitudes from 1e-130 to below 1e126, but the SDK refuses to
 * read back any number beyond JavaScript's safe integers: one stored there would
 * make every later read of its item fail. So free-form numbers stay within both.
 */
const SMALLEST_NUMBER = 1e-130;
const LARGEST_NUMBER = Number.MAX_SAFE_INTEGER;

/** Free-form fields (`metadata`) at most this deep and this large (JSON bytes). */
export const FREE_FORM_LIMITS = { depth: 16, bytes: 64 * 1024 } as const;

/**
 * Money in USD is kept to 10 decimal places (a hundred-millionth of a cent), so
 * that every sum and difference DynamoDB computes on budgets (up to 1e15, see
 * budgets/state.ts) fits its 38 significant digits, whatever float a gateway sends.
 * @example roundMoney(3.0000000000000004e-7) // 3e-7
 */
export const roundMoney = (usd: number): number => Number(usd.toFixed(10));

/** Why DynamoDB would refuse this free-form value, or null when it can be stored. */
export function unstorable(value: unknown): string | null {
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  if (bytes > FREE_FORM_LIMITS.bytes) return `is ${bytes} bytes as JSON; at most ${FREE_FORM_LIMITS.bytes} are stored`;
  return walk(value, 1);
}

function walk(value: unknown, depth: number): string | null {
  if (typeof value === 'number') {
    const size = Math.abs(value);
    if (!Number.isFinite(value) || (size !== 0 && (size < SMALLEST_NUMBER || size > LARGEST_NUMBER))) {
      return `holds the number ${value}, outside what can be stored (0, or 1e-130 to 9007199254740991 in size)`;
    }
    return null;
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth > FREE_FORM_LIMITS.depth) return `is nested more than ${FREE_FORM_LIMITS.depth} levels deep`;
  const entries = Array.isArray(value) ? value.map((v) => ['0', v] as const) : Object.entries(value);
  for (const [key, child] of entries) {
    if (key === '') return 'has an empty key';
    const problem = walk(child, depth + 1);
    if (problem) return problem;
  }
  return null;
}
