import { isAdminRole, isProxyAdmin, readsEverything, type Principal, type UserRole } from '../auth/roles';
import { keys } from '../db/keys';
import type { Table } from '../db/table';
import { badRequest, forbidden } from '../core/errors';
import { teamNotFound, type TeamRole } from '../teams/model';
import type { SettingsPatch } from './inputs';

export type DefaultTeam = { team_id: string; max_budget_in_team: number | null; user_role: TeamRole };

/** What every new non-admin user gets (LiteLLM's default internal user settings). */
export type InternalUserSettings = {
  user_role: UserRole;
  max_budget: number | null;
  budget_duration: string | null;
  models: string[];
  teams: DefaultTeam[];
};

export const DEFAULT_SETTINGS: InternalUserSettings = { user_role: 'internal_user', max_budget: null, budget_duration: null, models: [], teams: [] };

/** Field descriptions LiteLLM's UI reads from `field_schema`. */
export const SETTINGS_FIELD_SCHEMA = {
  description: 'Default settings applied to every new internal user (created by /user/new or by accepting an invitation).',
  properties: {
    user_role: { type: 'string', description: 'Role of new users: internal_user or internal_user_viewer.' },
    max_budget: { type: 'number', description: 'Personal max budget (USD) of new users.' },
    budget_duration: { type: 'string', description: 'Reset period of that budget (e.g. 1mo, 30d, 7d, 1d).' },
    models: { type: 'array', description: 'Default models; ["no-default-models"] means keys only inside a team.' },
    teams: { type: 'array', description: 'Teams new users join: team ids or {team_id, max_budget_in_team, user_role}.' },
  },
};

export class Settings {
  constructor(
    private readonly table: Table,
    private readonly clock: () => Date,
  ) {}

  async internalUser(): Promise<InternalUserSettings> {
    const item = await this.table.get<{ values: InternalUserSettings }>(keys.internalUserSettings());
    return { ...DEFAULT_SETTINGS, ...item?.values };
  }

  async read(actor: Principal): Promise<InternalUserSettings> {
    if (!readsEverything(actor)) throw forbidden('Only proxy admins and proxy admin viewers can read the default user settings.');
    return this.internalUser();
  }

  /** Deleted teams stop being default teams (called after /team/delete). */
  async forgetTeams(teamIds: string[]): Promise<void> {
    const current = await this.internalUser();
    const teams = current.teams.filter((t) => !teamIds.includes(t.team_id));
    if (teams.length === current.teams.length) return;
    await this.table.put({ ...keys.internalUserSettings(), type: 'settings', values: { ...current, teams }, updated_at: this.clock().toISOString(), updated_by: 'team_delete' });
  }

  async update(actor: Principal, patch: SettingsPatch): Promise<InternalUserSettings> {
    if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can change the default user settings.');
    if (patch.user_role && isAdminRole(patch.user_role)) {
      throw badRequest('The default role must be internal_user or internal_user_viewer: admins are made one by one.', 'user_role');
    }
    const current = await this.internalUser();
    const next: InternalUserSettings = { ...current };
    if (patch.user_role !== undefined) next.user_role = patch.user_role;
    if (patch.max_budget !== undefined) next.max_budget = patch.max_budget;
    if (patch.budget_duration !== undefined) next.budget_duration = patch.budget_duration;
    if (patch.models !== undefined) next.models = patch.models;
    if (patch.teams !== undefined) {
      next.teams = patch.teams.map((t) =>
        typeof t === 'string'
          ? { team_id: t, max_budget_in_team: null, user_role: 'user' as const }
          : { team_id: t.team_id, max_budget_in_team: t.max_budget_in_team ?? null, user_role: t.user_role ?? 'user' },
      );
      // Every default team must exist now; a join can still fail later and is then reported.
      await Promise.all(
        next.teams.map(async (t) => {
          if (!(await this.table.get(keys.team(t.team_id)))) throw teamNotFound(t.team_id);
        }),
      );
    }
    await this.table.put({ ...keys.internalUserSettings(), type: 'settings', values: next, updated_at: this.clock().toISOString(), updated_by: actor.userId });
    return next;
  }
}
