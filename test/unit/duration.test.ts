/** LiteLLM's duration grammar and budget reset rules, all in UTC. */
import { expiresAt, isDuration, nextResetAt, parseDuration } from '../../shared/budgets/duration';
import { DomainError } from '../../shared/core/errors';

const at = (iso: string) => new Date(iso);
const reset = (duration: string, now: string) => nextResetAt(duration, at(now)).toISOString();

describe('nextResetAt', () => {
  describe('1d: next midnight UTC', () => {
    test.each([
      ['2027-03-10T08:30:00.000Z', '2027-03-11T00:00:00.000Z'],
      ['2027-03-10T00:00:00.000Z', '2027-03-11T00:00:00.000Z'],
      ['2027-03-10T23:59:59.999Z', '2027-03-11T00:00:00.000Z'],
      ['2027-12-31T12:00:00.000Z', '2028-01-01T00:00:00.000Z'],
    ])('from %s → %s', (now, expected) => {
      expect(reset('1d', now)).toBe(expected);
    });
  });

  describe('7d and 1w: next Monday 00:00 UTC', () => {
    test.each([
      ['a Sunday', '2027-03-07T15:00:00.000Z', '2027-03-08T00:00:00.000Z'],
      ['a Monday', '2027-03-08T09:00:00.000Z', '2027-03-15T00:00:00.000Z'],
      ['a Monday at midnight', '2027-03-08T00:00:00.000Z', '2027-03-15T00:00:00.000Z'],
      ['a Wednesday', '2027-03-10T18:45:00.000Z', '2027-03-15T00:00:00.000Z'],
    ])('from %s', (_day, now, expected) => {
      expect(reset('7d', now)).toBe(expected);
      expect(reset('1w', now)).toBe(expected);
      expect(at(expected).getUTCDay()).toBe(1);
    });
  });

  describe('30d and 1mo: the 1st of next month, 00:00 UTC', () => {
    test.each([
      ['mid-month', '2027-03-10T08:30:00.000Z', '2027-04-01T00:00:00.000Z'],
      ['Jan 31 → Feb 1', '2027-01-31T12:00:00.000Z', '2027-02-01T00:00:00.000Z'],
      ['Dec 31 → Jan 1 of next year', '2027-12-31T23:59:59.000Z', '2028-01-01T00:00:00.000Z'],
      ['Feb 29 (leap year) → Mar 1', '2028-02-29T10:00:00.000Z', '2028-03-01T00:00:00.000Z'],
      ['on the 1st at midnight → the next 1st', '2027-05-01T00:00:00.000Z', '2027-06-01T00:00:00.000Z'],
    ])('%s', (_label, now, expected) => {
      expect(reset('30d', now)).toBe(expected);
      expect(reset('1mo', now)).toBe(expected);
    });
  });

  test('Nmo: the 1st, N months on', () => {
    expect(reset('2mo', '2027-03-10T08:30:00.000Z')).toBe('2027-05-01T00:00:00.000Z');
    expect(reset('2mo', '2027-11-15T00:00:00.000Z')).toBe('2028-01-01T00:00:00.000Z');
    expect(reset('12mo', '2027-01-31T00:00:00.000Z')).toBe('2028-01-01T00:00:00.000Z');
  });

  test('other Nd: today 00:00 UTC plus N days', () => {
    expect(reset('10d', '2027-03-10T08:30:00.000Z')).toBe('2027-03-20T00:00:00.000Z');
    expect(reset('2d', '2027-02-28T23:00:00.000Z')).toBe('2027-03-02T00:00:00.000Z');
    expect(reset('31d', '2027-03-10T08:30:00.000Z')).toBe('2027-04-10T00:00:00.000Z');
    expect(reset('2w', '2027-03-10T08:30:00.000Z')).toBe('2027-03-24T00:00:00.000Z');
  });

  test('seconds, minutes and hours are relative to now', () => {
    expect(reset('30s', '2027-03-10T08:30:15.000Z')).toBe('2027-03-10T08:30:45.000Z');
    expect(reset('30m', '2027-03-10T08:30:15.000Z')).toBe('2027-03-10T09:00:15.000Z');
    expect(reset('2h', '2027-03-10T23:30:00.000Z')).toBe('2027-03-11T01:30:00.000Z');
  });

  // Issue 9: a stored "1mo " would be a period nothing else reads; the grammar is exact.
  test('surrounding spaces are refused', () => {
    for (const value of [' 1mo ', '1mo ', ' 1mo', '1mo\n']) {
      expect(isDuration(value)).toBe(false);
      expect(() => reset(value, '2027-03-10T08:30:00.000Z')).toThrow(DomainError);
    }
  });

  test('at most 100 years, so the reset stays a four-digit-year date', () => {
    expect(reset('1200mo', '2999-12-31T23:59:59.000Z')).toBe('3099-12-01T00:00:00.000Z');
    for (const value of ['1201mo', '5219w', '36526d']) expect(isDuration(value)).toBe(false);
  });

  describe('invalid durations are a bad_request DomainError', () => {
    test.each(['', '0d', '00d', '0mo', '5y', 'abc', '1.5d', '-1d', '30 d', 'd', '1M', '1 month', '999999d'])('%j', (value) => {
      let error: unknown;
      try {
        nextResetAt(value, at('2027-03-10T08:30:00.000Z'));
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).kind).toBe('bad_request');
      expect((error as DomainError).param).toBe('budget_duration');
      expect(isDuration(value)).toBe(false);
    });
  });
});

describe('isDuration / parseDuration', () => {
  test.each(['30s', '30m', '30h', '30d', '2w', '1mo', '010d'])('%s is a duration', (value) => {
    expect(isDuration(value)).toBe(true);
  });

  test('parses count and unit', () => {
    expect(parseDuration('1mo', 'duration')).toEqual({ count: 1, unit: 'mo' });
    expect(parseDuration('45m', 'duration')).toEqual({ count: 45, unit: 'm' });
  });
});

describe('expiresAt (key lifetimes)', () => {
  const now = at('2027-01-15T10:20:30.000Z');
  test.each([
    ['30s', '2027-01-15T10:21:00.000Z'],
    ['30m', '2027-01-15T10:50:30.000Z'],
    ['30h', '2027-01-16T16:20:30.000Z'],
    ['30d', '2027-02-14T10:20:30.000Z'],
    ['2w', '2027-01-29T10:20:30.000Z'],
    ['1mo', '2027-02-15T10:20:30.000Z'],
    ['12mo', '2028-01-15T10:20:30.000Z'],
  ])('%s from now', (duration, expected) => {
    expect(expiresAt(duration, now).toISOString()).toBe(expected);
  });

  test('does not change the date it was given', () => {
    const given = at('2027-01-15T10:20:30.000Z');
    expiresAt('1mo', given);
    expect(given.toISOString()).toBe('2027-01-15T10:20:30.000Z');
  });

  test.each(['', '0s', '1y', 'forever'])('%j is a bad_request naming "duration"', (value) => {
    let error: unknown;
    try {
      expiresAt(value, now);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).kind).toBe('bad_request');
    expect((error as DomainError).param).toBe('duration');
  });
});
