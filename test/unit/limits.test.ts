/**
 * What DynamoDB would refuse, caught before a write (shared/db/limits.ts): money kept
 * to 10 decimals, free-form values within the numbers, depth, size and keys it stores.
 */
import { FREE_FORM_LIMITS, roundMoney, unstorable } from '../../shared/db/limits';

/** `{a: {a: … value}}`, `levels` objects deep. */
const nested = (levels: number, value: unknown = 1): unknown => (levels === 0 ? value : { a: nested(levels - 1, value) });

describe('roundMoney', () => {
  test.each([
    [3.0000000000000004e-7, 3e-7],
    [0.1 + 0.2, 0.3],
    [1.23456789012345, 1.2345678901],
    [0.00000000004, 0],
    [0.00000000005, 1e-10],
    [1e12, 1e12],
    [0, 0],
  ])('%p → %p', (usd, rounded) => {
    expect(roundMoney(usd)).toBe(rounded);
  });

  test('keeps at most 10 decimals, whatever float it is given', () => {
    for (const usd of [Math.PI, Math.E / 1000, 123456.789012345678, 1 / 3]) {
      const [, decimals = ''] = String(roundMoney(usd)).split('.');
      expect(decimals.length).toBeLessThanOrEqual(10);
      expect(Math.abs(roundMoney(usd) - usd)).toBeLessThanOrEqual(5e-11);
    }
  });
});

describe('unstorable', () => {
  test.each([
    ['an empty object', {}],
    ['strings, booleans, null', { s: 'x', b: true, n: null, list: ['a', false, null] }],
    ['0 and -0', { zero: 0, neg: -0 }],
    ['the smallest and largest numbers stored', { small: 1e-130, negSmall: -1e-130, large: Number.MAX_SAFE_INTEGER, negLarge: -Number.MAX_SAFE_INTEGER }],
    ['objects exactly as deep as allowed', nested(FREE_FORM_LIMITS.depth)],
    ['non-empty keys of any kind', { ' ': 1, '0': 2, 'é': 3 }],
  ])('%s can be stored', (_label, value) => {
    expect(unstorable(value)).toBeNull();
  });

  test.each([
    ['NaN', { n: Number.NaN }],
    ['Infinity', { n: Number.POSITIVE_INFINITY }],
    ['-Infinity', [Number.NEGATIVE_INFINITY]],
    ['a number too small', { n: 1e-131 }],
    ['a number beyond safe integers', { n: Number.MAX_SAFE_INTEGER + 2 }],
    ['a negative number too large', { deep: { list: [-1e20] } }],
  ])('%s is refused, naming the number and the bounds', (_label, value) => {
    expect(unstorable(value)).toMatch(/^holds the number \S+, outside what can be stored \(0, or 1e-130 to 9007199254740991 in size\)$/);
  });

  test('one level deeper than the limit is refused', () => {
    expect(FREE_FORM_LIMITS.depth).toBe(16);
    expect(unstorable(nested(FREE_FORM_LIMITS.depth + 1))).toBe('is nested more than 16 levels deep');
    const arrays = (levels: number): unknown => (levels === 0 ? 'x' : [arrays(levels - 1)]);
    expect(unstorable(arrays(16))).toBeNull();
    expect(unstorable(arrays(17))).toBe('is nested more than 16 levels deep');
  });

  test('an empty key is refused, at any depth', () => {
    expect(unstorable({ '': 1 })).toBe('has an empty key');
    expect(unstorable({ a: [{ b: { '': null } }] })).toBe('has an empty key');
  });

  test('the size is counted in UTF-8 bytes of the JSON, up to 64 KiB', () => {
    expect(FREE_FORM_LIMITS.bytes).toBe(65536);
    const fits = { s: 'x'.repeat(FREE_FORM_LIMITS.bytes - '{"s":""}'.length) };
    expect(unstorable(fits)).toBeNull();
    expect(unstorable({ s: `${fits.s}x` })).toBe(`is ${FREE_FORM_LIMITS.bytes + 1} bytes as JSON; at most ${FREE_FORM_LIMITS.bytes} are stored`);
    // "é" is two bytes in UTF-8: half as many fit.
    const accents = { s: 'é'.repeat((FREE_FORM_LIMITS.bytes - 8) / 2 + 1) };
    expect(unstorable(accents)).toMatch(/^is 65538 bytes as JSON/);
  });

  test('the size is checked before anything else', () => {
    expect(unstorable({ '': 'y'.repeat(FREE_FORM_LIMITS.bytes) })).toMatch(/bytes as JSON/);
  });
});
