/**
 * When a due budget next resets (`nextAfter`) and the update that resets it
 * (`resetOp`): the calendar is kept however late the job runs, and the next
 * reset is always in the future.
 */
import { nextAfter, resetOp, type DueBudget } from '../../shared/spend/reset';

const next = (duration: string, due: string, now: string) => nextAfter(duration, new Date(due), new Date(now)).toISOString();

describe('nextAfter', () => {
  test.each([
    // [duration, due, now, expected]
    ['1d', '2027-03-11T00:00:00.000Z', '2027-03-11T00:00:30.000Z', '2027-03-12T00:00:00.000Z'],
    ['1d', '2027-03-11T00:00:00.000Z', '2027-03-14T09:00:00.000Z', '2027-03-15T00:00:00.000Z'], // 3 days late
    ['1d', '2027-03-11T00:00:00.000Z', '2027-03-14T00:00:00.000Z', '2027-03-15T00:00:00.000Z'], // late, exactly at midnight
    ['7d', '2027-03-15T00:00:00.000Z', '2027-04-01T00:00:05.000Z', '2027-04-05T00:00:00.000Z'], // the next Monday
    ['1w', '2027-03-15T00:00:00.000Z', '2027-03-15T00:00:00.000Z', '2027-03-22T00:00:00.000Z'],
    ['1mo', '2027-02-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z', '2027-03-01T00:00:00.000Z'], // set on Jan 31
    ['1mo', '2028-03-01T00:00:00.000Z', '2028-03-01T00:01:00.000Z', '2028-04-01T00:00:00.000Z'], // set on Feb 29
    ['1d', '2028-02-29T00:00:00.000Z', '2028-02-29T00:00:10.000Z', '2028-03-01T00:00:00.000Z'],
    ['1mo', '2028-01-01T00:00:00.000Z', '2028-01-01T00:00:02.000Z', '2028-02-01T00:00:00.000Z'], // after Dec 31
    ['30d', '2027-12-01T00:00:00.000Z', '2028-02-10T00:00:00.000Z', '2028-03-01T00:00:00.000Z'], // months late: still the 1st
    ['2mo', '2027-11-01T00:00:00.000Z', '2028-01-15T00:00:00.000Z', '2028-03-01T00:00:00.000Z'], // keeps the 2-month rhythm
    ['10d', '2027-03-20T00:00:00.000Z', '2027-04-05T12:00:00.000Z', '2027-04-09T00:00:00.000Z'], // 20 Mar + 10d + 10d
    ['1h', '2027-03-10T08:00:00.000Z', '2027-03-10T10:30:00.000Z', '2027-03-10T11:00:00.000Z'], // keeps the hour
    ['30m', '2027-03-10T08:00:00.000Z', '2027-03-10T08:00:00.000Z', '2027-03-10T08:30:00.000Z'],
  ])('%s due %s, run at %s → %s', (duration, due, now, expected) => {
    expect(next(duration, due, now)).toBe(expected);
  });

  test('a short period far behind restarts from now rather than stay in the past', () => {
    // 30s periods, the job off for a week: 20,160 periods behind
    expect(next('30s', '2027-03-01T00:00:00.000Z', '2027-03-08T00:00:10.000Z')).toBe('2027-03-08T00:00:40.000Z');
    expect(next('1m', '2026-01-01T00:00:00.000Z', '2027-03-08T00:00:10.000Z')).toBe('2027-03-08T00:01:10.000Z');
  });

  test('always strictly after now', () => {
    const now = new Date('2027-07-31T23:59:59.999Z');
    for (const duration of ['1s', '45s', '1m', '90m', '1h', '5h', '1d', '2d', '7d', '1w', '2w', '30d', '31d', '1mo', '3mo', '12mo']) {
      for (const lateDays of [0, 1, 3, 45, 400]) {
        const due = new Date(Date.UTC(2027, 6, 1) - lateDays * 86_400_000);
        expect(nextAfter(duration, due, now).getTime()).toBeGreaterThan(now.getTime());
      }
    }
  });
});

describe('resetOp', () => {
  const item: DueBudget = { PK: 'TEAM#t1', SK: 'TEAM', type: 'team', budget_duration: '1mo', budget_reset_at: '2027-02-01T00:00:00.000Z', spend: 7 };

  test('zeroes spend, keeps reservations, moves the index entry, and only if the reset time is still the one read', () => {
    const op = resetOp(item, new Date('2027-02-01T00:00:05.000Z'));
    expect('update' in op && op.update).toEqual({ PK: 'TEAM#t1', SK: 'TEAM' });
    if (!('change' in op)) throw new Error('expected an update');
    expect(op.change.expression).toContain('#spend = :zero');
    expect(op.change.expression).toContain('#used = #reserved');
    expect(op.change.expression).toContain('#remaining = #remaining + #spend');
    expect(op.change.values).toMatchObject({
      ':zero': 0,
      ':next': '2027-03-01T00:00:00.000Z',
      ':gsi': '2027-03-01T00:00:00.000Z#TEAM#t1#TEAM',
      ':old': '2027-02-01T00:00:00.000Z',
      ':now': '2027-02-01T00:00:05.000Z',
    });
    expect(op.change.condition?.expression).toBe('#reset_at = :old');
  });
});
