/** The usage pages' sums: every one of the 30 days (zero included), models and users largest first. */
import type { SpendLogRow } from '../../shared/spend/logs';
import { summarize, USAGE_DAYS } from '../../shared/spend/usage';

const row = (startTime: string, model: string, user: string, spend: number) => ({ startTime, model_group: model, user, spend }) as SpendLogRow;

test('sums spend per day over the last 30 days, per model and per user', () => {
  const today = new Date('2026-03-01T12:00:00Z');
  const s = summarize(
    [
      row('2026-03-01T08:00:00.000Z', 'gpt-4o', 'ana', 0.1),
      row('2026-03-01T09:00:00.000Z', 'claude', 'bob', 0.2),
      row('2026-02-28T23:59:59.000Z', 'gpt-4o', 'ana', 0.3),
      row('2026-01-31T10:00:00.000Z', 'gpt-4o', 'ana', 0.4),
    ],
    today,
  );
  expect(s.days).toHaveLength(USAGE_DAYS);
  expect(s.days[0]).toEqual({ day: '2026-01-31', spend: 0.4 });
  expect(s.days[USAGE_DAYS - 1]).toEqual({ day: '2026-03-01', spend: 0.3 });
  expect(s.days[USAGE_DAYS - 2]).toEqual({ day: '2026-02-28', spend: 0.3 });
  expect(s.days.filter((d) => d.spend === 0)).toHaveLength(USAGE_DAYS - 3);
  expect(s.models).toEqual([
    { name: 'gpt-4o', spend: 0.8, requests: 3 },
    { name: 'claude', spend: 0.2, requests: 1 },
  ]);
  expect(s.users.map((u) => [u.name, u.spend])).toEqual([['ana', 0.8], ['bob', 0.2]]);
  expect(s).toMatchObject({ total: 1, requests: 4, truncated: false });
});
