import type { ItemKey } from '../db/keys';

/** Reservations not settled within this time are released by the reset job. */
export const RESERVE_MINUTES = 15;

/**
 * An open reservation carries everything its settlement needs (who made it, the
 * scopes it reserved on), so it settles even when its key was deleted, blocked or
 * regenerated meanwhile.
 */
export type Reservation = {
  request_id: string;
  amount: number;
  model: string;
  token: string;
  /** Absent on reservations made before they carried them: read from the key then. */
  user_id?: string | null;
  team_id?: string | null;
  scopes: ItemKey[];
  expires_at: string;
};

export type SpendRecord = {
  request_id: string;
  token: string;
  user_id: string | null;
  team_id: string | null;
  model: string;
  cost: number;
  charged: number;
  reserved: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  created_at: string;
  /** What the model gateway knows of the call (tokens, price source, status…), kept as sent. */
  details?: Record<string, unknown>;
};

/** A request's one item (keys.request): its reservation until it is recorded, then its spend record. */
export type RequestItem = ItemKey & ((Reservation & { type: 'reservation' }) | (SpendRecord & { type: 'spend_record' }));

/** A budget-bearing item as the reset index (projected ALL) returns it. */
export type DueBudget = {
  PK: string;
  SK: string;
  type: 'key' | 'user' | 'team' | 'member';
  budget_duration: string;
  budget_reset_at: string;
  spend?: number;
};

/** The fields of a spend record the API shows: the same on the first answer and on a replay. */
const RECORD_FIELDS = ['request_id', 'token', 'user_id', 'team_id', 'model', 'cost', 'charged', 'reserved', 'uncharged', 'prompt_tokens', 'completion_tokens', 'created_at'] as const;
export const publicSpendRecord = (item: Record<string, unknown>) => Object.fromEntries(RECORD_FIELDS.map((f) => [f, item[f] ?? null]));

/** Money as the refusals and records show it: six decimals. */
export const money = (n: unknown) => Number(Number(n ?? 0).toFixed(6));
