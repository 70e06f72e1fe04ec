/** How the pages show amounts, dates and periods. */

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 });
export const formatUsd = (n: number | null | undefined): string => (n === null || n === undefined ? 'no limit' : usd.format(n));
export const formatDate = (iso: string | null | undefined): string => (iso ? iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC') : '—');

/** Reset periods offered by the forms (LiteLLM's `budget_duration`). */
export const RESET_PERIODS: Array<[string, string]> = [
  ['', 'Never'],
  ['1d', 'Daily (1d)'],
  ['7d', 'Weekly (7d)'],
  ['1mo', 'Monthly (1mo)'],
];
/** How long a new key lives (the API's `duration`); "$10 keys for AI exploration" usually expire. */
export const KEY_LIFETIMES: Array<[string, string]> = [
  ['', 'Never'],
  ['1d', '1 day'],
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['90d', '90 days'],
];
export const resetLabel = (d: string | null | undefined) => RESET_PERIODS.find(([v]) => v === (d ?? ''))?.[1] ?? d ?? 'Never';

/** The choices of a period select, plus the stored value when the API set one the form does not offer (e.g. 30d). */
export const periodOptions = (options: Array<[string, string]>, current: string | null | undefined): Array<[string, string]> =>
  current && !options.some(([v]) => v === current) ? [...options, [current, current]] : options;
