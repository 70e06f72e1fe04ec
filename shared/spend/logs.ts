import { readsEverything, type Principal } from '../auth/roles';
import type { SpendRecord } from './model';
import { keys } from '../db/keys';
import { spendRecordsNewestFirst, type SpendRecordOwner } from '../db/queries';
import type { Table } from '../db/table';
import { badRequest } from '../core/errors';

/** The most rows one /spend/logs answer reads (LiteLLM answers everything, unbounded). */
export const MAX_LOG_ROWS = 1000;
/** The longest date range of an unfiltered (all spend) query, read day by day. */
const MAX_ALL_DAYS = 31;

export type SpendLogQuery = {
  /** The key's token hash. */
  api_key?: string;
  user_id?: string;
  team_id?: string;
  request_id?: string;
  /** YYYY-MM-DD, inclusive, UTC. */
  start_date?: string;
  end_date?: string;
  limit?: number;
};

/** A row of LiteLLM's `GET /spend/logs`. */
export type SpendLogRow = ReturnType<typeof toRow>;

type Stored = SpendRecord & { uncharged?: number };

function toRow(r: Stored) {
  const d = (r.details ?? {}) as Record<string, unknown>;
  const prompt = r.prompt_tokens ?? 0;
  const completion = r.completion_tokens ?? 0;
  return {
    request_id: r.request_id,
    call_type: (d.call_type as string | undefined) ?? 'spend_record',
    api_key: r.token,
    spend: r.charged,
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    startTime: (d.startTime as string | undefined) ?? r.created_at,
    endTime: (d.endTime as string | undefined) ?? r.created_at,
    completionStartTime: (d.completionStartTime as string | null | undefined) ?? null,
    model: (d.upstream_model as string | undefined) ?? r.model,
    model_id: (d.model_id as string | undefined) ?? null,
    model_group: (d.model_group as string | undefined) ?? r.model,
    custom_llm_provider: (d.custom_llm_provider as string | undefined) ?? null,
    user: r.user_id ?? '',
    team_id: r.team_id,
    end_user: null,
    status: (d.status as string | undefined) ?? 'success',
    metadata: {
      cost: r.cost,
      reserved: r.reserved,
      uncharged: r.uncharged ?? 0,
      cached_tokens: (d.cached_tokens as number | undefined) ?? 0,
      cache_write_tokens: (d.cache_write_tokens as number | undefined) ?? 0,
      price_source: (d.price_source as string | null | undefined) ?? null,
      price_database: (d.price_database as string | undefined) ?? null,
      estimated: (d.estimated as boolean | undefined) ?? false,
      ...(d.error ? { error: d.error } : {}),
    },
  };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** What users and admins see of spend: LiteLLM's `/spend/logs` rows, newest first, and a per-day summary. */
export class SpendLogs {
  constructor(
    private readonly table: Table,
    private readonly clock: () => Date,
  ) {}

  /** Rows newest first. Internal users see only their own spend, whatever they ask for. */
  async rows(actor: Principal, q: SpendLogQuery): Promise<SpendLogRow[]> {
    const limit = Math.min(q.limit ?? MAX_LOG_ROWS, MAX_LOG_ROWS);
    const { from, to } = this.range(q);
    const mine = (r: Stored) => readsEverything(actor) || r.user_id === actor.userId;
    const matches = (r: Stored) =>
      mine(r) && (!q.api_key || r.token === q.api_key) && (!q.user_id || r.user_id === q.user_id) && (!q.team_id || r.team_id === q.team_id) && r.created_at >= from && r.created_at <= to;
    if (q.request_id) {
      const one = await this.table.get<Stored & { type: string }>(keys.request(q.request_id));
      return one?.type === 'spend_record' && matches(one) ? [toRow(one)] : [];
    }
    // The narrowest partition that holds the answer: a non-admin's own, a key's, a user's, a team's, else each day's.
    const userId = readsEverything(actor) ? q.user_id : actor.userId;
    let found: Stored[];
    if (q.api_key) found = await this.newestFirst({ key: q.api_key }, from, to, limit, matches);
    else if (userId) found = await this.newestFirst({ user: userId }, from, to, limit, matches);
    else if (q.team_id) found = await this.newestFirst({ team: q.team_id }, from, to, limit, matches);
    else {
      found = [];
      for (const day of daysBetween(from, to).reverse()) {
        if (found.length >= limit) break;
        found.push(...(await this.newestFirst({ day }, from, to, limit - found.length, matches)));
      }
    }
    return found.map(toRow);
  }

  /**
   * A team's rows in the last 30 days, every member's: for its usage page, whose
   * caller (`Usage.ofTeam`) has already checked the reader may see the whole team.
   */
  async teamRows(teamId: string): Promise<SpendLogRow[]> {
    const { from, to } = this.range({});
    const inRange = (r: Stored) => r.team_id === teamId && r.created_at >= from && r.created_at <= to;
    return (await this.newestFirst({ team: teamId }, from, to, MAX_LOG_ROWS, inRange)).map(toRow);
  }

  /** LiteLLM's summarized answer: per day, total spend and spend per user and per model. */
  async daily(actor: Principal, q: SpendLogQuery) {
    const rows = await this.rows(actor, { ...q, limit: MAX_LOG_ROWS });
    const days = new Map<string, { startTime: string; spend: number; users: Record<string, number>; models: Record<string, number> }>();
    for (const r of rows) {
      const day = r.startTime.slice(0, 10);
      const d = days.get(day) ?? { startTime: day, spend: 0, users: {}, models: {} };
      d.spend = round(d.spend + r.spend);
      if (r.user) d.users[r.user] = round((d.users[r.user] ?? 0) + r.spend);
      d.models[r.model_group] = round((d.models[r.model_group] ?? 0) + r.spend);
      days.set(day, d);
    }
    return [...days.values()].sort((a, b) => a.startTime.localeCompare(b.startTime));
  }

  /** Dates as ISO bounds; without them the last 30 days. An unfiltered query spans at most 31 days. */
  private range(q: SpendLogQuery): { from: string; to: string } {
    for (const [name, v] of [['start_date', q.start_date], ['end_date', q.end_date]] as const) {
      if (v !== undefined && !isCalendarDay(v)) throw badRequest(`${name} must be a date as YYYY-MM-DD.`, name);
    }
    const today = this.clock().toISOString().slice(0, 10);
    const end = q.end_date ?? today;
    const start = q.start_date ?? new Date(Date.parse(`${end}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
    if (start > end) throw badRequest('start_date is after end_date.', 'start_date');
    const filtered = q.api_key || q.user_id || q.team_id || q.request_id;
    if (!filtered && daysBetween(`${start}T00:00:00Z`, `${end}T00:00:00Z`).length > MAX_ALL_DAYS) {
      throw badRequest(`Without api_key, user_id or team_id, a date range spans at most ${MAX_ALL_DAYS} days.`, 'start_date');
    }
    return { from: `${start}T00:00:00.000Z`, to: `${end}T23:59:59.999Z` };
  }

  /** Reads a partition newest first, from `to` back to `from`, page by page, up to `limit` matching rows. */
  private async newestFirst(owner: SpendRecordOwner, from: string, to: string, limit: number, keep: (r: Stored) => boolean): Promise<Stored[]> {
    const out: Stored[] = [];
    for await (const page of this.table.pages<Stored>({ ...spendRecordsNewestFirst(owner, to), limit: 200 })) {
      for (const r of page) {
        if (r.created_at < from) return out;
        if (keep(r)) out.push(r);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }
}

function daysBetween(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(from.slice(0, 10) + 'T00:00:00Z'); t <= Date.parse(to); t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

const round = (n: number) => Number(n.toFixed(10));

/** `YYYY-MM-DD` naming a day that exists. */
export function isCalendarDay(value: string): boolean {
  if (!DAY.test(value)) return false;
  const t = Date.parse(`${value}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === value;
}
