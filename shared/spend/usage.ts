import { MASTER_KEY_USER_ID, readsEverything, type Principal } from '../auth/roles';
import type { AlertView, BudgetAlerts } from './alerts';
import { remainingBudget } from '../budgets/state';
import { keys as itemKeys, type ItemKey } from '../db/keys';
import { forbidden, notFound } from '../core/errors';
import type { KeyItem } from '../keys/model';
import type { Keys } from '../keys/service';
import { effectiveMemberBudget, type TeamItem } from '../teams/model';
import type { Teams } from '../teams/service';
import type { UserItem } from '../users/model';
import type { Users } from '../users/service';
import { MAX_LOG_ROWS, type SpendLogRow, type SpendLogs } from './logs';

/** How many days a usage page covers, today included (the /spend/logs default range). */
export const USAGE_DAYS = 30;

/** One budget that applies: what was spent in its period, its limit, what is left and when it resets. */
export type BudgetLine = {
  /** What the budget belongs to, in words: "Your own budget", "Team research", "Your budget in team research". */
  label: string;
  kind: 'user' | 'team' | 'member' | 'key';
  team_id?: string;
  spend: number;
  /** Null: no limit. */
  max_budget: number | null;
  /** Null when there is no limit. */
  remaining: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  /** A key's soft budget: where its owner is alerted. */
  soft_budget?: number | null;
  /** The budget alerts emailed in the current period, oldest first. */
  alerts: AlertView[];
};

/** A budget line before its alerts are read, with the item it stands for. */
type Line = Omit<BudgetLine, 'alerts'> & { item: ItemKey };

export type SpendShare = { name: string; spend: number; requests: number };

/** Spend in the last `USAGE_DAYS` days: per day (every day, zero included), per model and per user. */
export type UsageSummary = {
  days: Array<{ day: string; spend: number }>;
  models: SpendShare[];
  users: SpendShare[];
  total: number;
  requests: number;
  /** True when more requests exist than one read returns (only the newest are counted). */
  truncated: boolean;
};

const round = (n: number) => Number(n.toFixed(10));
const budgetLeft = (max_budget: number | null, budget_remaining: number | undefined) => remainingBudget({ max_budget, budget_remaining });

/** Sums rows into days (oldest first, the last `USAGE_DAYS` days ending `today`), models and users (largest first). */
export function summarize(rows: SpendLogRow[], today: Date): UsageSummary {
  const end = Date.parse(`${today.toISOString().slice(0, 10)}T00:00:00Z`);
  const days = Array.from({ length: USAGE_DAYS }, (_, i) => ({ day: new Date(end - (USAGE_DAYS - 1 - i) * 86_400_000).toISOString().slice(0, 10), spend: 0 }));
  const byDay = new Map(days.map((d) => [d.day, d]));
  const models = new Map<string, SpendShare>();
  const users = new Map<string, SpendShare>();
  const add = (m: Map<string, SpendShare>, name: string, spend: number) => {
    const share = m.get(name) ?? { name, spend: 0, requests: 0 };
    share.spend = round(share.spend + spend);
    share.requests += 1;
    m.set(name, share);
  };
  let total = 0;
  for (const r of rows) {
    const day = byDay.get(r.startTime.slice(0, 10));
    if (day) day.spend = round(day.spend + r.spend);
    add(models, r.model_group, r.spend);
    add(users, r.user || '', r.spend);
    total = round(total + r.spend);
  }
  const largestFirst = (m: Map<string, SpendShare>) => [...m.values()].sort((a, b) => b.spend - a.spend || a.name.localeCompare(b.name));
  return { days, models: largestFirst(models), users: largestFirst(users), total, requests: rows.length, truncated: rows.length >= MAX_LOG_ROWS };
}

/**
 * The usage pages' data: spend over the last 30 days and the budgets that apply.
 * Who may see what follows `/user/info`, `/team/info` and `/spend/logs`; a team's
 * whole spend (every member's) only for proxy admins, admin viewers and the team's admins.
 */
export class Usage {
  constructor(
    private readonly users: Users,
    private readonly teams: Teams,
    private readonly logs: SpendLogs,
    private readonly keys: Keys,
    private readonly alerts: BudgetAlerts,
    private readonly clock: () => Date,
  ) {}

  /** Each line with the alerts of its budget's current period (one Query per line: a page shows a handful). */
  private async withAlerts(lines: Line[]): Promise<BudgetLine[]> {
    const alerts = await Promise.all(lines.map((l) => this.alerts.ofPeriod(l.item, l.budget_reset_at)));
    return lines.map(({ item: _item, ...line }, i) => ({ ...line, alerts: alerts[i]! }));
  }

  /** A user's usage: their own spend, their own budget, and per team their member budget and the team's budget. */
  async ofUser(actor: Principal, userId: string): Promise<{ user: UserItem | null; summary: UsageSummary; budgets: BudgetLine[] }> {
    if (!readsEverything(actor) && actor.userId !== userId) throw forbidden('You can only view your own usage.');
    const user = (await this.users.get(userId)) ?? null;
    // The master key has no user record, only the spend of keys it made for nobody.
    if (!user && userId !== MASTER_KEY_USER_ID) throw notFound(`User ${userId} not found`, 'user_id');
    const [rows, memberships, teams, ownKeys] = await Promise.all([
      this.logs.rows(actor, { user_id: userId }),
      this.teams.membershipsOf(userId),
      user ? this.teams.list(actor, userId) : Promise.resolve([] as TeamItem[]),
      user ? this.keys.ofUser(userId) : Promise.resolve([] as KeyItem[]),
    ]);
    const own = actor.userId === userId;
    const budgets: Line[] = [];
    if (user) {
      budgets.push({
        item: itemKeys.user(user.user_id),
        label: own ? 'Your own budget' : 'Their own budget',
        kind: 'user',
        spend: user.spend,
        max_budget: user.max_budget,
        remaining: budgetLeft(user.max_budget, user.budget_remaining),
        budget_duration: user.budget_duration,
        budget_reset_at: user.budget_reset_at,
      });
    }
    const byId = new Map(teams.map((t) => [t.team_id, t]));
    for (const m of memberships.sort((a, b) => a.team_id.localeCompare(b.team_id))) {
      const team = byId.get(m.team_id);
      if (!team) continue;
      const name = team.team_alias ?? team.team_id;
      const limit = effectiveMemberBudget(m, team);
      budgets.push({
        item: itemKeys.member(team.team_id, userId),
        label: `${own ? 'Your' : 'Their'} budget in team ${name}`,
        kind: 'member',
        team_id: team.team_id,
        spend: m.spend,
        max_budget: limit,
        remaining: budgetLeft(limit, m.budget_remaining),
        budget_duration: m.budget_duration,
        budget_reset_at: m.budget_reset_at,
      });
      budgets.push(teamLine(team));
    }
    // Keys with a limit or an alert amount of their own.
    for (const k of ownKeys.filter((k) => k.max_budget !== null || typeof k.soft_budget === 'number').sort((a, b) => a.created_at.localeCompare(b.created_at))) {
      budgets.push({
        item: itemKeys.key(k.token),
        label: `Key ${k.key_alias ?? k.key_name}`,
        kind: 'key',
        spend: k.spend,
        max_budget: k.max_budget,
        remaining: budgetLeft(k.max_budget, k.budget_remaining),
        budget_duration: k.budget_duration,
        budget_reset_at: k.budget_reset_at,
        soft_budget: k.soft_budget,
      });
    }
    return { user, summary: summarize(rows, this.clock()), budgets: await this.withAlerts(budgets) };
  }

  /** A team's usage, with spend per member: for proxy admins, admin viewers and the team's admins. */
  async ofTeam(actor: Principal, teamId: string) {
    const { team, memberships } = await this.teams.info(actor, teamId);
    if (!readsEverything(actor) && !(await this.teams.canManage(actor, team))) {
      throw forbidden(`Only proxy admins and admins of team ${team.team_alias ?? team.team_id} can see the whole team's usage.`);
    }
    const rows = await this.logs.teamRows(teamId);
    const members = memberships
      .map((m) => {
        const limit = effectiveMemberBudget(m, team);
        return { user_id: m.user_id, user_email: m.user_email, role: m.role, spend: m.spend, max_budget: limit, remaining: budgetLeft(limit, m.budget_remaining), budget_reset_at: m.budget_reset_at };
      })
      .sort((a, b) => (a.user_email ?? a.user_id).localeCompare(b.user_email ?? b.user_id));
    return { team, summary: summarize(rows, this.clock()), budgets: await this.withAlerts([teamLine(team)]), members };
  }
}

function teamLine(team: TeamItem): Line {
  return {
    item: itemKeys.team(team.team_id),
    label: `Team ${team.team_alias ?? team.team_id} (all members)`,
    kind: 'team',
    team_id: team.team_id,
    spend: team.spend,
    max_budget: team.max_budget,
    remaining: budgetLeft(team.max_budget, team.budget_remaining),
    budget_duration: team.budget_duration,
    budget_reset_at: team.budget_reset_at,
  };
}
