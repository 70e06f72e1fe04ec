import { badRequest } from '../core/errors';

/**
 * LiteLLM's duration grammar, `(\d+)(s|m|h|d|w|mo)`: `30s`, `30m`, `30h`, `30d`, `2w`, `1mo`.
 * Used for budget periods (`budget_duration`) and key lifetimes (`duration`).
 * Exactly that: no spaces around it (a stored `"1mo "` is not a period anything
 * else reads), and at most 100 years, so every reset and expiry computed from it
 * stays an ISO date with a four-digit year, which sorts and compares as text.
 */
const DURATION = /^(\d{1,5})(s|m|h|d|w|mo)$/;

export type Duration = { count: number; unit: 's' | 'm' | 'h' | 'd' | 'w' | 'mo' };

/** 100 years in each unit (`s`, `m` and `h` are already shorter at five digits). */
const MAX_COUNT: Record<Duration['unit'], number> = { s: 99_999, m: 99_999, h: 99_999, d: 36_525, w: 5_218, mo: 1_200 };

export const DURATION_RULE = 'must look like 30s, 30m, 30h, 30d, 2w or 1mo (no spaces), at most 100 years';

function match(value: string): Duration | undefined {
  const m = DURATION.exec(value);
  if (!m) return undefined;
  const duration = { count: Number(m[1]), unit: m[2] as Duration['unit'] };
  return duration.count > 0 && duration.count <= MAX_COUNT[duration.unit] ? duration : undefined;
}

export function parseDuration(value: string, param: string): Duration {
  const duration = match(value);
  if (!duration) throw badRequest(`${param} ${DURATION_RULE}; got ${JSON.stringify(value)}.`, param);
  return duration;
}

export const isDuration = (value: string): boolean => match(value) !== undefined;

const DAY_MS = 86_400_000;
const startOfDay = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
const firstOfMonth = (d: Date, plusMonths: number) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + plusMonths, 1));

/**
 * When a budget with this period next resets, in UTC, the way LiteLLM computes it:
 * `1d` next midnight; `7d` and `1w` next Monday 00:00; `30d` and `1mo` the 1st of
 * next month (so a monthly budget follows calendar months, whatever their length);
 * `Nmo` the 1st, N months on; other `Nd`/`Nw` today 00:00 plus the period;
 * `s`/`m`/`h` now plus the period.
 * @example nextResetAt('1mo', new Date('2027-01-31T12:00:00Z')) // 2027-02-01T00:00:00Z
 */
export function nextResetAt(duration: string, now: Date): Date {
  const { count, unit } = parseDuration(duration, 'budget_duration');
  switch (unit) {
    case 's':
      return new Date(now.getTime() + count * 1000);
    case 'm':
      return new Date(now.getTime() + count * 60_000);
    case 'h':
      return new Date(now.getTime() + count * 3_600_000);
    case 'mo':
      return firstOfMonth(now, count);
    case 'w':
    case 'd': {
      const days = unit === 'w' ? count * 7 : count;
      if (days === 1) return new Date(startOfDay(now).getTime() + DAY_MS);
      if (days === 7) {
        const today = startOfDay(now);
        const daysToMonday = ((8 - today.getUTCDay()) % 7) || 7;
        return new Date(today.getTime() + daysToMonday * DAY_MS);
      }
      if (days === 30) return firstOfMonth(now, 1);
      return new Date(startOfDay(now).getTime() + days * DAY_MS);
    }
  }
}

/** The moment a key with this lifetime (`duration`) expires. */
export function expiresAt(duration: string, now: Date): Date {
  const { count, unit } = parseDuration(duration, 'duration');
  const ms = { s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS }[unit as 's'];
  if (unit === 'mo') {
    // Same day next month, or its last day when shorter (Jan 31 + 1mo = Feb 28/29, not Mar 3).
    const target = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + count, 1));
    const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
    target.setUTCDate(Math.min(now.getUTCDate(), lastDay));
    return new Date(target.getTime() + (now.getTime() - startOfDay(now).getTime()));
  }
  return new Date(now.getTime() + count * ms);
}
