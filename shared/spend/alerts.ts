import { indexKeys, keys, type ItemKey } from '../db/keys';
import { ALERT_RETRY_INDEX_ATTRIBUTES, idInKey, type AlertRetryIndexFields, moveAlertRetryEntry, alertsOfBudget, pendingBudgetAlerts, teamOfMembership } from '../db/queries';
import { mustExist, mustNotExist, type Table } from '../db/table';
import { DomainError } from '../core/errors';
import type { Mailer } from '../email/mailer';
import { budgetAlertEmail } from '../email/templates';
import { logger } from '../core/logger';
import type { KeyItem } from '../keys/model';
import type { MembershipItem, TeamItem } from '../teams/model';
import type { UserItem } from '../users/model';
import { UNLIMITED } from '../budgets/state';

/**
 * Budget alerts: when a budget's settled spend reaches its `soft_budget` (keys and
 * users carry one, as in LiteLLM) or 80% / 100% of its max budget (every kind:
 * key, user, team, membership), its owner is emailed once per budget period.
 *
 * Once: each crossing is recorded as an alert item keyed by budget, period and
 * threshold (with its amount: a raised limit alerts again at its own 80%), written with `attribute_not_exists`, so of any number of concurrent
 * settlements exactly one writes it and only that one sends. The period is the
 * budget's `budget_reset_at`, which every reset moves on: a new period can alert
 * again without anything to clear (old alert items expire by TTL).
 *
 * Sending never fails or slows a settlement: the alert item is written first
 * (status `pending`, listed in the retry index), the email is sent afterwards
 * without the settlement waiting for it, and the item is then marked `sent`. A
 * send that fails, or never finishes (a frozen Lambda), stays `pending` and is
 * sent again by the scheduled job ({@link BudgetAlerts.retryPending}).
 */

export type AlertThreshold = 'soft_budget' | 'max_budget_80' | 'max_budget_100';
export type AlertStatus = 'pending' | 'sent' | 'failed' | 'no_recipient';

/** A budget-bearing item as the alert check reads it. */
type BudgetItem = ItemKey & {
  type: 'key' | 'user' | 'team' | 'member';
  spend?: number;
  used?: number;
  budget_remaining?: number;
  max_budget?: number | null;
  soft_budget?: number | null;
  budget_reset_at?: string | null;
};

/** The alert item: the dedup guard and the outbox entry of one alert. */
export type AlertItem = ItemKey &
  AlertRetryIndexFields & {
  type: 'budget_alert';
  budget: ItemKey;
  budget_type: BudgetItem['type'];
  threshold: AlertThreshold;
  /** The amount the threshold stands for (USD). */
  threshold_amount: number;
  spend: number;
  max_budget: number | null;
  /** The period's reset time, or `no-period`. */
  period: string;
  status: AlertStatus;
  attempts: number;
  /** Recipients already emailed, so a retry does not email them twice. */
  sent_to: string[];
  last_error?: string;
  created_at: string;
  sent_at?: string;
  /** While pending: when a retry may take it over (the sender holds it until then). */
  retry_at?: string;
  ttl?: number;
};

/** How long a sender holds a pending alert before the scheduled job may send it instead. */
export const ALERT_CLAIM_MINUTES = 5;
/** Attempts before an alert is given up (status `failed`, logged as an error). */
export const MAX_ALERT_ATTEMPTS = 8;
/** Alert items outlive their period by this much, then expire by TTL. */
const KEEP_DAYS_AFTER_PERIOD = 35;
const NO_PERIOD = 'no-period';

class AlertExists extends DomainError {
  constructor() {
    super('conflict', 'this budget alert was already recorded');
  }
}

const usd = (n: number) => `$${n.toFixed(2)}`;
/** Spend "reached" an amount, allowing for the last digit of a float sum. */
const reached = (spend: number, amount: number) => spend > 0 && spend >= amount - 1e-9;

/** The max budget of an item; memberships have none stored, so it is derived from the counters. */
function limitOf(item: BudgetItem): number | null {
  if (item.type !== 'member') return item.max_budget ?? null;
  const limit = Number(item.budget_remaining ?? UNLIMITED) + Number(item.used ?? 0);
  return limit >= UNLIMITED / 2 ? null : Number(limit.toFixed(6));
}

/** The thresholds an item's spend has reached in its current period. */
export function crossedThresholds(item: BudgetItem): { threshold: AlertThreshold; amount: number }[] {
  const spend = Number(item.spend ?? 0);
  const crossed: { threshold: AlertThreshold; amount: number }[] = [];
  if ((item.type === 'key' || item.type === 'user') && typeof item.soft_budget === 'number' && reached(spend, item.soft_budget)) {
    crossed.push({ threshold: 'soft_budget', amount: item.soft_budget });
  }
  const limit = limitOf(item);
  if (limit !== null && limit > 0) {
    if (reached(spend, 0.8 * limit)) crossed.push({ threshold: 'max_budget_80', amount: Number((0.8 * limit).toFixed(6)) });
    if (reached(spend, limit)) crossed.push({ threshold: 'max_budget_100', amount: limit });
  }
  return crossed;
}

/** The alert in words, as its email and the usage pages say it ("its soft budget of $5.00"). */
export function reachedWords(alert: Pick<AlertItem, 'threshold' | 'threshold_amount' | 'max_budget'>): string {
  if (alert.threshold === 'soft_budget') return `its soft budget of ${usd(alert.threshold_amount)}`;
  if (alert.threshold === 'max_budget_80') return `80% of its max budget of ${usd(alert.max_budget ?? 0)}`;
  return `its max budget of ${usd(alert.threshold_amount)}`;
}

/** What a page shows of one alert. */
export type AlertView = Pick<AlertItem, 'threshold' | 'threshold_amount' | 'max_budget' | 'spend' | 'status'> & { at: string; recipients: number };

export class BudgetAlerts {
  private readonly inflight = new Set<Promise<unknown>>();

  constructor(
    private readonly table: Table,
    private readonly mailer: Mailer,
    private readonly clock: () => Date,
  ) {}

  /**
   * Called once a settlement has committed, with the budgets it charged: records
   * each threshold newly reached and starts sending its email without waiting for
   * it. Never throws: a failure here is logged, and the next settlement on the
   * same budget finds the threshold still reached and records it then.
   */
  async afterSettle(budgets: ItemKey[]): Promise<void> {
    try {
      const items = await this.table.batchGet<BudgetItem>(budgets);
      const now = this.clock();
      const claims = items.flatMap((item) => crossedThresholds(item).map((c) => this.claim(item, c.threshold, c.amount, now)));
      for (const alert of await Promise.all(claims)) {
        if (alert) this.track(this.deliver(alert));
      }
    } catch (err) {
      logger.error('budget alert check failed; the next settlement on these budgets checks again', { budgets: budgets.map((b) => `${b.PK}/${b.SK}`), error: err as Error });
    }
  }

  /** Resolves when every send started by this process has finished (tests; a graceful shutdown). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /**
   * Sends the alerts still pending whose holder's time ran out (a failed or
   * interrupted send), oldest first. Each is taken over with a conditional write,
   * so two overlapping runs never send the same alert. Run by the scheduled job.
   */
  async retryPending(opts: { pageSize?: number } = {}): Promise<{ retried: number; sent: number }> {
    const now = this.clock().toISOString();
    let retried = 0;
    let sent = 0;
    for await (const page of this.table.pages<AlertItem>({ ...pendingBudgetAlerts(this.clock()), limit: opts.pageSize ?? 100 })) {
      for (const item of page.filter((i) => i.status === 'pending' && (i.retry_at ?? '') <= now)) {
        const alert = await this.takeOver(item);
        if (!alert) continue;
        retried++;
        if ((await this.deliver(alert)) === 'sent') sent++;
      }
    }
    if (retried > 0) logger.info('budget alerts retried', { retried, sent });
    return { retried, sent };
  }

  private track(p: Promise<unknown>): void {
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Writes the alert item if no one has: the winner (and only it) gets the alert back to send. */
  private async claim(item: BudgetItem, threshold: AlertThreshold, amount: number, now: Date): Promise<AlertItem | undefined> {
    const period = item.budget_reset_at ?? NO_PERIOD;
    const key = keys.budgetAlert({ PK: item.PK, SK: item.SK }, period, threshold, amount);
    const retryAt = new Date(now.getTime() + ALERT_CLAIM_MINUTES * 60_000).toISOString();
    const alert: AlertItem = {
      ...key,
      ...indexKeys.budgetAlertRetry(retryAt, key.PK, key.SK),
      type: 'budget_alert',
      budget: { PK: item.PK, SK: item.SK },
      budget_type: item.type,
      threshold,
      threshold_amount: amount,
      spend: Number(Number(item.spend ?? 0).toFixed(6)),
      max_budget: limitOf(item),
      period,
      status: 'pending',
      attempts: 0,
      sent_to: [],
      created_at: now.toISOString(),
      retry_at: retryAt,
      ...(item.budget_reset_at ? { ttl: Math.floor(Date.parse(item.budget_reset_at) / 1000) + KEEP_DAYS_AFTER_PERIOD * 86_400 } : {}),
    };
    try {
      await this.table.put(alert, mustNotExist(() => new AlertExists()));
      return alert;
    } catch (err) {
      if (err instanceof AlertExists) return undefined;
      throw err;
    }
  }

  /** Takes a pending alert over from a holder whose time ran out; undefined when someone else did. */
  private async takeOver(item: AlertItem): Promise<AlertItem | undefined> {
    const retryAt = new Date(this.clock().getTime() + ALERT_CLAIM_MINUTES * 60_000).toISOString();
    try {
      // Conditional on the retry entry as read: of two runs taking it over, one wins.
      const entry = moveAlertRetryEntry(retryAt, item);
      return await this.table.update<AlertItem>(
        { PK: item.PK, SK: item.SK },
        {
          expression: `SET retry_at = :retry_at, ${entry.clause}`,
          values: { ':retry_at': retryAt, ':pending': 'pending', ...entry.values },
          names: { '#status': 'status', ...entry.names },
          condition: { expression: `${entry.condition} AND #status = :pending`, onFail: () => new AlertExists() },
        },
      );
    } catch (err) {
      if (err instanceof AlertExists) return undefined;
      throw err;
    }
  }

  /** Emails every recipient not yet emailed, then records the outcome on the alert. Never throws. */
  private async deliver(alert: AlertItem): Promise<AlertStatus> {
    const sentTo = [...alert.sent_to];
    let problem: string | undefined;
    let recipients: string[] = [];
    try {
      const audience = await this.audience(alert);
      recipients = audience.recipients;
      for (const to of recipients.filter((r) => !sentTo.includes(r))) {
        try {
          await this.mailer.send(
            budgetAlertEmail({ to, budget: audience.budget, reached: reachedWords(alert), spend: alert.spend, maxBudget: alert.max_budget, resetAt: alert.period === NO_PERIOD ? null : alert.period }),
          );
          sentTo.push(to);
        } catch (err) {
          problem = (err as Error).message;
        }
      }
    } catch (err) {
      problem = (err as Error).message;
    }
    const attempts = alert.attempts + 1;
    const status: AlertStatus = problem ? (attempts >= MAX_ALERT_ATTEMPTS ? 'failed' : 'pending') : recipients.length === 0 ? 'no_recipient' : 'sent';
    const context = { alert: `${alert.PK}/${alert.SK}`, threshold: alert.threshold, attempts, recipients: recipients.length, error: problem };
    if (status === 'pending') logger.error('budget alert email not sent; the scheduled job retries it', context);
    else if (status === 'failed') logger.error(`budget alert email given up after ${attempts} attempts`, context);
    else if (status === 'no_recipient') logger.warn('budget alert has nobody to email (no owner email, or no team admin with one)', context);
    try {
      await this.table.update(
        { PK: alert.PK, SK: alert.SK },
        {
          expression: `SET #status = :status, attempts = :attempts, sent_to = :sent_to${problem ? ', last_error = :error' : ''}${status === 'sent' ? ', sent_at = :now' : ''}${status === 'pending' ? '' : ' REMOVE #retry_index_pk, #retry_index_sk, retry_at'}`,
          names: { '#status': 'status', ...(status === 'pending' ? {} : { '#retry_index_pk': ALERT_RETRY_INDEX_ATTRIBUTES[0], '#retry_index_sk': ALERT_RETRY_INDEX_ATTRIBUTES[1] }) },
          values: { ':status': status, ':attempts': attempts, ':sent_to': sentTo, ...(problem ? { ':error': problem.slice(0, 1000) } : {}), ...(status === 'sent' ? { ':now': this.clock().toISOString() } : {}) },
          condition: mustExist(() => new AlertExists()),
        },
      );
    } catch (err) {
      // Still listed as pending: the scheduled job sends it again (to whoever is not in sent_to).
      logger.error('could not record a budget alert outcome', { ...context, error: err as Error });
    }
    return status;
  }

  /** One item by BatchGetItem: the scheduled job that retries alerts is granted that, not GetItem. */
  /** The alerts of a budget's current period (its `budget_reset_at`), oldest first: for the usage pages. */
  async ofPeriod(budget: ItemKey, resetAt: string | null | undefined): Promise<AlertView[]> {
    const items = await this.table.queryAll<AlertItem>(alertsOfBudget(budget, resetAt ?? NO_PERIOD));
    return items
      .map((a) => ({ threshold: a.threshold, threshold_amount: a.threshold_amount, max_budget: a.max_budget, spend: a.spend, status: a.status, at: a.sent_at ?? a.created_at, recipients: a.sent_to.length }))
      .sort((a, b) => a.at.localeCompare(b.at));
  }

  private async getOne<T>(key: ItemKey): Promise<T | undefined> {
    return (await this.table.batchGet<T>([key]))[0];
  }

  /** Who the alert goes to (the owner; a team's admins) and how the budget is named. */
  private async audience(alert: AlertItem): Promise<{ recipients: string[]; budget: string }> {
    const emailOf = async (userId: string | null | undefined) => (userId ? ((await this.getOne<UserItem>(keys.user(userId)))?.user_email ?? null) : null);
    const adminsOf = (team: TeamItem | undefined) => Object.values(team?.members ?? {}).flatMap((m) => (m.role === 'admin' && m.user_email ? [m.user_email] : []));
    const only = (...emails: (string | null | undefined)[]) => [...new Set(emails.filter((e): e is string => !!e))];
    switch (alert.budget_type) {
      case 'user': {
        const user = await this.getOne<UserItem>(alert.budget);
        return { recipients: only(user?.user_email), budget: `user ${user?.user_alias ?? user?.user_email ?? idInKey(alert.budget)}` };
      }
      case 'team': {
        const team = await this.getOne<TeamItem>(alert.budget);
        return { recipients: only(...adminsOf(team)), budget: `team ${team?.team_alias ?? idInKey(alert.budget)}` };
      }
      case 'member': {
        const [member, team] = await Promise.all([this.getOne<MembershipItem>(alert.budget), this.getOne<TeamItem>(teamOfMembership(alert.budget))]);
        const email = member?.user_email ?? (await emailOf(member?.user_id));
        return { recipients: only(email), budget: `${email ?? member?.user_id ?? 'a member'} in team ${team?.team_alias ?? idInKey(alert.budget)}` };
      }
      case 'key': {
        const key = await this.getOne<KeyItem>(alert.budget);
        const name = `key ${key?.key_alias ?? key?.key_name ?? idInKey(alert.budget).slice(0, 8)}`;
        if (key?.user_id) return { recipients: only(await emailOf(key.user_id)), budget: name };
        // A team's service-account key (no user): its team's admins.
        if (key?.team_id) return { recipients: only(...adminsOf(await this.getOne<TeamItem>(keys.team(key.team_id)))), budget: name };
        return { recipients: [], budget: name };
      }
    }
  }
}
