/**
 * The request fields that carry DynamoDB's and LiteLLM's limits (money, durations,
 * metadata, ids), parsed without a server: what the routes accept and refuse before
 * anything is written.
 */
import { DurationString, Id, Limit, Metadata, Money } from '../../shared/core/inputs';

const accepts = (schema: { safeParse: (v: unknown) => { success: boolean } }, value: unknown) => schema.safeParse(value).success;

describe('Money (USD)', () => {
  test.each([0, 0.01, 100, 1e12])('%p is accepted', (usd) => {
    expect(Money.parse(usd)).toBe(usd);
  });

  test.each([-0.01, -1e-200, 1e12 + 1, 1e13, 1e300, Number.POSITIVE_INFINITY, Number.NaN, '10', null])('%p is refused', (usd) => {
    expect(accepts(Money, usd)).toBe(false);
  });

  test('is kept to 10 decimals', () => {
    expect(Money.parse(0.1 + 0.2)).toBe(0.3);
    expect(Money.parse(1e-11)).toBe(0);
    expect(Money.parse(3.0000000000000004e-7)).toBe(3e-7);
  });
});

describe('DurationString', () => {
  test.each(['30s', '30m', '30h', '1d', '30d', '2w', '1mo', '1200mo', '5218w', '36525d'])('%p is accepted', (d) => {
    expect(DurationString.parse(d)).toBe(d);
  });

  test.each(['', '1', 'mo', '1 mo', ' 30d', '1mo ', '1mo\n', '0d', '5y', 'monthly', '-1d', '1.5d', '1201mo', '5219w', '36526d'])('%p is refused, with the rule', (d) => {
    const r = DurationString.safeParse(d);
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('must look like 30s, 30m, 30h, 30d, 2w or 1mo (no spaces), at most 100 years');
  });
});

describe('Metadata', () => {
  test('an object within the limits is accepted as is', () => {
    const value = { team: 'research', n: 1, nested: { list: [1, 'two', null] } };
    expect(Metadata.parse(value)).toEqual(value);
  });

  test.each([
    ['an array', [1]],
    ['a string', 'x'],
    ['null', null],
  ])('%s is refused', (_label, value) => {
    expect(accepts(Metadata, value)).toBe(false);
  });

  test.each([
    ['a number DynamoDB cannot hold', { n: 1e300 }, /holds the number 1e\+300/],
    ['an empty key', { a: { '': 1 } }, /has an empty key/],
    ['too deep', { a: { a: { a: { a: { a: { a: { a: { a: { a: { a: { a: { a: { a: { a: { a: { a: { a: 1 } } } } } } } } } } } } } } } } }, /nested more than 16 levels/],
    ['too large', { s: 'x'.repeat(70_000) }, /bytes as JSON; at most 65536/],
  ])('%s is refused, saying why', (_label, value, why) => {
    const r = Metadata.safeParse(value);
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message).join(' ')).toMatch(why);
  });
});

describe('Limit (rpm, tpm, counts)', () => {
  test.each([0, 1, 1_000_000])('%p is accepted', (n) => expect(Limit.parse(n)).toBe(n));
  test.each([-1, 1.5, Number.NaN, '5'])('%p is refused', (n) => expect(accepts(Limit, n)).toBe(false));
});

describe('Id (user_id, team_id, …)', () => {
  test.each(['a', 'user_1', 'ann@example.com', 'team.research:eu-1', 'x'.repeat(128)])('%p is accepted', (id) => expect(Id.parse(id)).toBe(id));
  test.each(['', 'a/b', 'a b', "' OR 1=1", 'x'.repeat(129), 'ä'])('%p is refused', (id) => expect(accepts(Id, id)).toBe(false));
});
