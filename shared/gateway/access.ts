import { keys } from '../db/keys';
import type { Table } from '../db/table';
import type { KeyItem } from '../keys/model';
import { keyForSecret } from '../keys/rotation';
import { assertUsableKey } from '../keys/usable';
import { ALL_MODELS, NO_DEFAULT_MODELS } from '../keys/service';
import type { TeamItem } from '../teams/model';
import type { UserItem } from '../users/model';
import { ModelAccessDenied } from './errors';

/** A key list entry that lifts the key's own restriction: the team's (or user's) models apply. */
const ALL_TEAM_MODELS = 'all-team-models';

/** The key, its team and its user: what decides which models a call may use. */
export type KeyScope = { key: KeyItem; team: TeamItem | null; user: UserItem | null };

/** A list that restricts nothing: empty, or naming every model. */
const unrestricted = (list: string[] | undefined) => !list || list.length === 0 || list.includes(ALL_MODELS);

/**
 * Which level refuses `model` for this key, or null when it may be called: the key's
 * list, then the team's for team keys, else the user's for personal keys, where
 * `no-default-models` allows nothing. The same rules the authorize transaction checks.
 */
export function refusingLevel(scope: KeyScope, model: string): ModelAccessDenied | null {
  const { key, team, user } = scope;
  if (!unrestricted(key.models) && !key.models.includes(ALL_TEAM_MODELS) && !key.models.includes(model)) {
    return new ModelAccessDenied('key', `key not allowed to access model. This key can only access models=${JSON.stringify(key.models)}. Tried to access ${model}.`);
  }
  if (key.team_id) {
    if (team && !unrestricted(team.models) && !team.models.includes(model)) {
      return new ModelAccessDenied('team', `team not allowed to access model. Team=${team.team_id} can only access models=${JSON.stringify(team.models)}. Tried to access ${model}.`);
    }
  } else if (user) {
    if (user.models.includes(NO_DEFAULT_MODELS)) {
      return new ModelAccessDenied('user', `user not allowed to access model. User=${user.user_id} has no-default-models: only keys inside a team can call models. Tried to access ${model}.`);
    }
    if (!unrestricted(user.models) && !user.models.includes(model)) {
      return new ModelAccessDenied('user', `user not allowed to access model. User=${user.user_id} can only access models=${JSON.stringify(user.models)}. Tried to access ${model}.`);
    }
  }
  return null;
}

/**
 * Reads the key and refuses it unless usable (the one key check, ../keys/usable.ts),
 * then its team and user in one BatchGetItem: two round trips, for listing models and
 * explaining refusals. An old secret within its regenerate grace period stands for
 * its successor, as it does for authentication and the spend gateway.
 */
export async function readKeyScope(table: Table, secret: string, now: Date): Promise<KeyScope> {
  const key = assertUsableKey(await keyForSecret(table, secret, now), now);
  const wanted = [key.team_id ? keys.team(key.team_id) : null, key.user_id ? keys.user(key.user_id) : null].filter((k) => k !== null);
  const found = wanted.length ? await table.batchGet<Record<string, unknown>>(wanted) : [];
  const team = (found.find((i) => i.type === 'team') as TeamItem | undefined) ?? null;
  const user = (found.find((i) => i.type === 'user') as UserItem | undefined) ?? null;
  assertUsableKey(key, now, team);
  return { key, team, user };
}
