import { isProxyAdmin, MASTER_KEY_USER_ID, readsEverything, type Principal } from '../auth/roles';
import { expiresAt } from '../budgets/duration';
import { budgetPeriod, RESET_INDEX_ATTRIBUTES } from '../budgets/fields';
import { initialBudgetState, limitClause } from '../budgets/state';
import { deleteWithGuards, putGuard, type Guarded } from '../db/guards';
import { indexKeys, keyIndexMove, keys } from '../db/keys';
import { allKeys, keyHashByAlias, keysOfTeam, keysOfUser } from '../db/queries';
import { mustExist, mustNotExist, retryOnConflict, type Condition, type Table, type TransactOp } from '../db/table';
import { pageOf } from '../db/paging';
import { setAndRemove } from '../db/update';
import { badRequest, DomainError, forbidden, notFound, rateLimited } from '../core/errors';
import { sha256Hex } from '../core/ids';
import { effectiveMemberBudget, type TeamItem } from '../teams/model';
import type { Teams } from '../teams/service';
import type { UserItem } from '../users/model';
import type { Users } from '../users/service';
import { assertKeyAccess, type KeyAction } from './access';
import { displayName, newKeySecret, tokenHashOf, type KeyItem } from './model';
import { assertUsableKey } from './usable';
import type { GenerateInput, RegenerateInput, UpdateInput } from './inputs';
import { checkRotationInput, graceUntil, KeyChanged, keyForSecret, keyNotFound, moveOps, rotationSchedule, successorItem } from './rotation';
import type { SecretSeal } from './sealed-secret';

/** `models: ["no-default-models"]` on a user: keys only inside a team. */
export const NO_DEFAULT_MODELS = 'no-default-models';
/** A model list containing this allows every model. */
export const ALL_MODELS = 'all-proxy-models';

export type KeyListQuery = { page: number; size: number; user_id?: string; team_id?: string; key_alias?: string };

/** A regenerate that keeps meeting concurrent changes gives up after this many reads. */
const REGENERATE_ATTEMPTS = 25;

const aliasTaken = (alias: string) => `Key with alias "${alias}" already exists. Key aliases are unique.`;

/** Virtual keys: generation within a team's models and budgets, and their life cycle. */
export class Keys {
  constructor(
    private readonly table: Table,
    private readonly users: Users,
    private readonly teams: Teams,
    private readonly clock: () => Date,
    /** Opens secrets made by the scheduled rotation; its public half is written for the job. */
    private readonly seal?: SecretSeal,
  ) {}

  get(hash: string): Promise<KeyItem | undefined> {
    return this.table.get<KeyItem>(keys.key(hash));
  }

  require(keyOrHash: string): Promise<KeyItem> {
    const hash = tokenHashOf(keyOrHash);
    return this.table.require<KeyItem>(keys.key(hash), () => keyNotFound(hash));
  }

  /** The key behind a Bearer `sk-…` credential, if it may be used now. */
  async authenticate(secret: string): Promise<KeyItem> {
    // The team is not read here (one GetItem per request): a blocked team's keys are refused where they spend.
    return assertUsableKey(await keyForSecret(this.table, secret, this.clock()), this.clock());
  }

  private async teamOf(teamId: string | null | undefined): Promise<TeamItem | null> {
    return teamId ? this.teams.require(teamId) : null;
  }

  private async check(actor: Principal, action: KeyAction, item: KeyItem): Promise<TeamItem | null> {
    const team = item.team_id ? ((await this.teams.get(item.team_id)) ?? null) : null;
    assertKeyAccess(actor, action, item.user_id, team);
    return team;
  }

  /** Creates a key; the secret is returned here and never again. */
  async generate(actor: Principal, input: GenerateInput): Promise<{ secret: string; item: KeyItem }> {
    if (!isProxyAdmin(actor) && input.user_id && input.user_id !== actor.userId) {
      throw forbidden('User can only create keys for themselves.');
    }
    const ownerId = input.user_id ?? (actor.userId === MASTER_KEY_USER_ID ? null : actor.userId);
    const owner = ownerId ? await this.users.require(ownerId) : null;
    const team = await this.teamOf(input.team_id);
    assertKeyAccess(actor, 'generate', ownerId, team);
    if (input.key !== undefined && !isProxyAdmin(actor)) throw forbidden('Only proxy admins can set a custom key.');
    if (team?.blocked) throw badRequest(`Team ${team.team_id} is blocked: no keys can be created in it.`, 'team_id');
    if (!team && owner?.models.includes(NO_DEFAULT_MODELS)) {
      throw badRequest(
        `No team selected. ${owner.user_email ?? owner.user_id} has no default models and can only create keys inside a team: pass team_id (one of: ${[...(owner.teams ?? [])].sort().join(', ') || 'none yet — ask an admin to add you to a team'}).`,
        'team_id',
      );
    }
    const models = input.models ?? [];
    await this.checkLimits({ models, max_budget: input.max_budget ?? null }, owner, team);

    const now = this.clock();
    const iso = now.toISOString();
    const secret = input.key ?? newKeySecret();
    const hash = sha256Hex(secret);
    const key = keys.key(hash);
    const alias = input.key_alias?.trim() || null;
    if (input.duration !== undefined) this.checkLifetime(actor, team, input.duration ?? null, now);
    const duration = input.duration ?? (team && ownerId ? team.team_member_key_duration : null);
    checkRotationInput(input.auto_rotate, input.rotation_interval);
    const schedule = rotationSchedule(hash, input.auto_rotate === true, input.rotation_interval, now);
    if (schedule.entry) await this.publishSeal();
    const item: KeyItem & Guarded = {
      ...key,
      ...indexKeys.key(hash, iso, ownerId, team?.team_id ?? null),
      type: 'key',
      token: hash,
      key_name: displayName(secret),
      key_alias: alias,
      user_id: ownerId,
      team_id: team?.team_id ?? null,
      models,
      max_budget: input.max_budget ?? null,
      soft_budget: input.soft_budget ?? null,
      ...initialBudgetState(input.max_budget ?? null),
      ...budgetPeriod(key, input.budget_duration, now),
      expires: duration ? expiresAt(duration, now).toISOString() : null,
      blocked: input.blocked ?? false,
      ...(input.blocked ? { blocked_by_rank: blockRank(actor, team) } : {}),
      metadata: input.metadata ?? {},
      tpm_limit: input.tpm_limit ?? null,
      rpm_limit: input.rpm_limit ?? null,
      allowed_routes: input.allowed_routes ?? [],
      ...schedule.fields,
      rotation_count: 0,
      created_at: iso,
      updated_at: iso,
      created_by: actor.userId,
      updated_by: actor.userId,
      ...(alias ? { unique_guards: [keys.keyAlias(alias)] } : {}),
    };
    await this.table.transact([
      { put: item, condition: mustNotExist(() => badRequest('This key already exists.', 'key')) },
      ...(alias ? [putGuard(keys.keyAlias(alias), key, 'key_alias', aliasTaken(alias), 'key_alias')] : []),
      ...(team && ownerId ? [this.memberStillThere(team.team_id, ownerId)] : []),
      ...(schedule.entry ? [{ put: schedule.entry }] : []),
    ]);
    return { secret, item };
  }

  /** A key's models must be within its team's (or its owner's), and its budget within theirs. */
  private async checkLimits(k: { models: string[]; max_budget: number | null }, owner: UserItem | null, team: TeamItem | null) {
    const allowed = team ? team.models : (owner?.models ?? []).filter((m) => m !== NO_DEFAULT_MODELS);
    if (allowed.length > 0 && !allowed.includes(ALL_MODELS)) {
      const outside = k.models.filter((m) => !allowed.includes(m));
      if (outside.length > 0) {
        throw badRequest(
          `Model${outside.length > 1 ? 's' : ''} ${outside.join(', ')} not allowed ${team ? `in team ${team.team_id}` : `for user ${owner?.user_id}`}. Allowed models: ${allowed.join(', ')}.`,
          'models',
        );
      }
    }
    if (k.max_budget === null) return;
    const caps: Array<[string, number | null]> = [];
    if (team) {
      const membership = owner ? await this.teams.membership(team.team_id, owner.user_id) : undefined;
      if (membership) caps.push([`your budget in team ${team.team_id}`, effectiveMemberBudget(membership, team)]);
      caps.push([`team ${team.team_id}'s budget`, team.max_budget]);
    } else if (owner) {
      caps.push([`user ${owner.user_id}'s budget`, owner.max_budget]);
    }
    for (const [what, cap] of caps) {
      if (cap !== null && k.max_budget > cap) {
        throw badRequest(`max_budget ${k.max_budget} exceeds ${what} (${cap}).`, 'max_budget');
      }
    }
  }

  /** Fails the write if the owner left the team meanwhile. */
  private memberStillThere(teamId: string, userId: string): TransactOp {
    return {
      check: keys.member(teamId, userId),
      condition: mustExist(() => forbidden(`User=${userId} not assigned to team=${teamId}.`)),
    };
  }

  /** The key if the caller may do `action` with it (a page asking to confirm the action refuses as the action would). */
  async forAction(actor: Principal, action: KeyAction, keyOrHash: string): Promise<KeyItem> {
    const item = await this.require(keyOrHash);
    await this.check(actor, action, item);
    return item;
  }

  async info(actor: Principal, keyOrHash: string): Promise<KeyItem> {
    const item = await this.require(keyOrHash);
    await this.check(actor, 'info', item);
    return item;
  }

  async update(actor: Principal, request: UpdateInput): Promise<KeyItem> {
    // As current LiteLLM: "either key or key_alias" names the key to update.
    const byAlias = request.key === undefined;
    if (byAlias && !request.key_alias) throw badRequest('Give key (the key or its token hash) or key_alias to name the key to update.', 'key');
    const item = byAlias ? await this.byAlias(request.key_alias!, 'key_alias') : await this.require(request.key!);
    const input = byAlias ? { ...request, key_alias: undefined } : request;
    const currentTeam = await this.check(actor, 'update', item);
    const movesUser = input.user_id !== undefined && input.user_id !== item.user_id;
    const movesTeam = input.team_id !== undefined && input.team_id !== item.team_id;
    if ((movesUser || movesTeam) && !isProxyAdmin(actor)) {
      throw forbidden('Only proxy admins can move a key to another user or team.');
    }
    const ownerId = movesUser ? (input.user_id ?? null) : item.user_id;
    const owner = ownerId ? await this.users.require(ownerId) : null;
    const team = movesTeam ? await this.teamOf(input.team_id) : currentTeam;
    await this.checkLimits(
      { models: input.models ?? item.models, max_budget: input.max_budget === undefined ? item.max_budget : input.max_budget },
      owner,
      team,
    );

    const now = this.clock();
    if (input.duration !== undefined) this.checkNewLifetime(actor, item, team, input.duration, now);
    const key = keys.key(item.token);
    const set: Record<string, unknown> = { updated_at: now.toISOString(), updated_by: actor.userId };
    const remove: string[] = [];
    for (const f of ['models', 'max_budget', 'soft_budget', 'metadata', 'tpm_limit', 'rpm_limit', 'blocked', 'allowed_routes'] as const) {
      if (input[f] !== undefined) set[f] = input[f];
    }
    if (input.blocked === true) set.blocked_by_rank = Math.max(blockRank(actor, currentTeam), blockedRank(item));
    if (input.blocked === false) remove.push('blocked_by_rank');
    if (input.budget_duration !== undefined) {
      Object.assign(set, budgetPeriod(key, input.budget_duration, now));
      if (!input.budget_duration) remove.push(...RESET_INDEX_ATTRIBUTES);
    }
    if (input.duration !== undefined) set.expires = input.duration ? expiresAt(input.duration, now).toISOString() : null;
    if (movesUser || movesTeam) {
      const ix = keyIndexMove(item.token, item.created_at, ownerId, team?.team_id ?? null);
      Object.assign(set, { user_id: ownerId, team_id: team?.team_id ?? null }, ix.set);
      remove.push(...ix.remove);
    }
    const ops: TransactOp[] = [];
    if (input.key_alias !== undefined) {
      const alias = input.key_alias?.trim() || null;
      if (alias !== item.key_alias) {
        set.key_alias = alias;
        set.unique_guards = alias ? [keys.keyAlias(alias)] : [];
        if (alias) ops.push(putGuard(keys.keyAlias(alias), key, 'key_alias', aliasTaken(alias), 'key_alias'));
        if (item.key_alias) ops.push({ delete: keys.keyAlias(item.key_alias) });
      }
    }
    if (team && ownerId && (movesUser || movesTeam)) ops.push(this.memberStillThere(team.team_id, ownerId));
    if (input.auto_rotate !== undefined || input.rotation_interval !== undefined) {
      const autoRotate = input.auto_rotate ?? item.auto_rotate === true;
      const interval = input.rotation_interval === undefined ? item.rotation_interval : input.rotation_interval;
      checkRotationInput(autoRotate, interval);
      const schedule = rotationSchedule(item.token, autoRotate, interval, now);
      Object.assign(set, schedule.fields);
      ops.push(schedule.entry ? { put: schedule.entry } : { delete: keys.keyRotation(item.token) });
      if (schedule.entry) await this.publishSeal();
    }
    const raw = input.max_budget !== undefined ? [limitClause(input.max_budget)] : [];
    const condition = input.blocked === undefined ? mustExist(() => keyNotFound(item.token)) : this.blockAllowed(item.token, blockRank(actor, currentTeam));
    await this.table.transact([{ update: key, change: { ...setAndRemove(set, remove, raw), condition } }, ...ops]);
    return (await this.get(item.token))!;
  }

  /** Deletes keys named by secret/hash or by alias; all are checked before any is deleted. */
  async delete(actor: Principal, ids: { keys?: string[]; key_aliases?: string[] }): Promise<string[]> {
    const items: KeyItem[] = [];
    for (const k of ids.keys ?? []) items.push(await this.require(k));
    for (const alias of ids.key_aliases ?? []) items.push(await this.byAlias(alias));
    for (const item of items) await this.check(actor, 'delete', item);
    const ops = items.flatMap((i) => deleteWithGuards(i as KeyItem & Guarded));
    await this.table.transactInChunks(ops);
    return items.map((i) => i.token);
  }

  async byAlias(alias: string, param = 'key_aliases'): Promise<KeyItem> {
    const hash = await keyHashByAlias(this.table, alias);
    const item = hash === undefined ? undefined : await this.get(hash);
    if (!item) throw notFound(`Key with alias "${alias}" not found.`, param);
    return item;
  }

  /**
   * A new secret for the same key: its record (alias, budgets, spend, owner,
   * history) moves to the new hash in one transaction. The old secret stops working,
   * or keeps working as this key until `grace_period` ends (at most 7 days, see
   * ./rotation.ts). The move is conditional on the key being unchanged since it was
   * read, so spend settled or reserved meanwhile is never overwritten by a stale copy
   * (it is read again and retried); the old hash keeps a forwarding item so
   * reservations made with it still settle on the key.
   */
  async regenerate(actor: Principal, keyOrHash: string, changes: RegenerateInput = {}): Promise<{ secret: string; item: KeyItem }> {
    const { grace_period, ...fields } = changes;
    graceUntil(grace_period, this.clock());
    const first = await this.require(keyOrHash);
    const team = await this.check(actor, 'regenerate', first);
    if (fields.duration !== undefined) this.checkNewLifetime(actor, first, team, fields.duration, this.clock());
    const owner = first.user_id ? ((await this.users.get(first.user_id)) ?? null) : null;
    const secret = newKeySecret();
    return retryOnConflict(
      async (attempt) => {
        // A retry moves the key as it is now: spend settled meanwhile is kept.
        const old = attempt === 1 ? first : await this.require(first.token);
        const now = this.clock();
        const graceEnd = graceUntil(grace_period, now);
        const item = successorItem(old, secret, { changes: fields, actorId: actor.userId, now, graceEnd });
        await this.checkLimits({ models: item.models, max_budget: item.max_budget }, owner, team);
        await this.table.transact(moveOps(old, item, graceEnd, now));
        return { secret, item };
      },
      {
        attempts: REGENERATE_ATTEMPTS,
        backoffMs: 15,
        retryAlso: (err) => err instanceof KeyChanged,
        exhausted: () => rateLimited('The key is in heavy use right now; retry /key/regenerate shortly.'),
      },
    );
  }

  /**
   * The secret the scheduled rotation gave this key, once: to its owner or a proxy
   * admin. Removed in the same conditional write, so two reads never both get it.
   */
  async revealRotated(actor: Principal, keyOrHash: string): Promise<{ secret: string; item: KeyItem }> {
    const item = await this.require(keyOrHash);
    if (!isProxyAdmin(actor) && (!item.user_id || item.user_id !== actor.userId)) {
      throw forbidden('Only the key\'s owner or a proxy admin can read its rotated secret.');
    }
    // Not with a virtual key: whoever holds a leaked old secret must not get the new one.
    if (actor.via === 'virtual_key' && !isProxyAdmin(actor)) {
      throw forbidden('Read a rotated secret signed in (session), not with a virtual key.');
    }
    if (!item.sealed_secret || !this.seal) throw notFound(`Key ${item.key_name} has no rotated secret waiting: it was read already, or the key was not rotated by the schedule.`, 'key');
    const secret = this.seal.open(item.sealed_secret);
    await this.table.update(keys.key(item.token), {
      expression: 'REMOVE sealed_secret',
      condition: {
        expression: 'sealed_secret = :s',
        values: { ':s': item.sealed_secret },
        onFail: () => notFound(`Key ${item.key_name} has no rotated secret waiting: it was read already.`, 'key'),
      },
    });
    const { sealed_secret: _s, ...rest } = item;
    return { secret, item: rest as KeyItem };
  }

  private sealWritten = false;

  /**
   * The job seals rotated secrets with this public key: written (outside the key's
   * transaction, idempotent) before a key first gets auto_rotate in this process.
   */
  private async publishSeal(): Promise<void> {
    if (!this.seal) throw badRequest('auto_rotate is not available: this server cannot seal rotated secrets.', 'auto_rotate');
    if (this.sealWritten) return;
    await this.table.put({ ...keys.keySeal(), type: 'settings', public_key: this.seal.publicKey });
    this.sealWritten = true;
  }

  /**
   * Blocks or unblocks a key. A block remembers who set it (owner, team admin, proxy
   * admin): only someone of that rank or above lifts it, and a lower rank blocking
   * again leaves the higher block as it is. Checked in the write itself.
   */
  async setBlocked(actor: Principal, keyOrHash: string, blocked: boolean): Promise<KeyItem> {
    const item = await this.require(keyOrHash);
    const team = await this.check(actor, blocked ? 'block' : 'unblock', item);
    const rank = blockRank(actor, team);
    const set: Record<string, unknown> = { blocked, updated_at: this.clock().toISOString(), updated_by: actor.userId };
    if (blocked) set.blocked_by_rank = rank;
    try {
      return await this.table.update<KeyItem>(keys.key(item.token), { ...setAndRemove(set, blocked ? [] : ['blocked_by_rank']), condition: this.blockAllowed(item.token, rank) });
    } catch (err) {
      // Already blocked by a higher rank: blocking again changes nothing.
      if (blocked && err instanceof DomainError && err.kind === 'forbidden') return this.require(item.token);
      throw err;
    }
  }

  /** The key exists and is not blocked by someone above `rank`. */
  private blockAllowed(hash: string, rank: number): Condition {
    if (rank >= RANK.proxy_admin) return mustExist(() => keyNotFound(hash));
    return {
      expression: 'attribute_exists(PK) AND (#blocked <> :true OR (attribute_exists(#rank) AND #rank <= :rank))',
      names: { '#blocked': 'blocked', '#rank': 'blocked_by_rank' },
      values: { ':true': true, ':rank': rank },
      onFail: (old) => {
        if (!old) return keyNotFound(hash);
        const by = blockedRank(old) >= RANK.proxy_admin ? 'a proxy admin: only a proxy admin' : 'a team admin: only the team\'s admins and proxy admins';
        return forbidden(`Key ${String(old.key_name ?? '')} was blocked by ${by} can unblock it.`);
      },
    };
  }

  /**
   * A new lifetime for an existing key: an expired key is revived only by a proxy
   * admin (its owner would otherwise undo the expiry an admin chose), and within a
   * team no longer than `team_member_key_duration`.
   */
  private checkNewLifetime(actor: Principal, item: KeyItem, team: TeamItem | null, duration: string | null, now: Date): void {
    if (!isProxyAdmin(actor) && item.expires && Date.parse(item.expires) <= now.getTime()) {
      throw forbidden(`Key ${item.key_name} expired at ${item.expires}: only a proxy admin can give it a new lifetime. Create a new key instead.`);
    }
    this.checkLifetime(actor, team, duration, now);
  }

  /** `team_member_key_duration` is the longest lifetime anyone but a proxy admin gives a key of the team. */
  private checkLifetime(actor: Principal, team: TeamItem | null, duration: string | null, now: Date): void {
    const limit = team?.team_member_key_duration;
    if (!limit || isProxyAdmin(actor)) return;
    if (duration === null || expiresAt(duration, now).getTime() > expiresAt(limit, now).getTime()) {
      throw badRequest(
        `duration ${duration ?? 'null (never expires)'} is longer than team ${team.team_id} allows: keys of its members live at most ${limit} (team_member_key_duration).`,
        'duration',
      );
    }
  }

  /** A user's own keys (one Query on the user's index). */
  ofUser(userId: string): Promise<KeyItem[]> {
    return this.table.queryAll<KeyItem>(keysOfUser(userId));
  }

  async list(actor: Principal, q: KeyListQuery) {
    let items: KeyItem[];
    if (readsEverything(actor)) {
      items = q.user_id
        ? await this.ofUser(q.user_id)
        : q.team_id
          ? await this.table.queryAll<KeyItem>(keysOfTeam(q.team_id))
          : await this.table.queryAll<KeyItem>(allKeys());
    } else if (q.team_id && (await this.teams.get(q.team_id))?.members?.[actor.userId]?.role === 'admin') {
      items = await this.table.queryAll<KeyItem>(keysOfTeam(q.team_id));
    } else {
      if (q.user_id && q.user_id !== actor.userId) throw forbidden('You can only list your own keys.');
      items = await this.ofUser(actor.userId);
    }
    const filtered = items.filter(
      (k) => (!q.user_id || k.user_id === q.user_id) && (!q.team_id || k.team_id === q.team_id) && (!q.key_alias || k.key_alias === q.key_alias),
    );
    const page = pageOf(filtered, q.page, q.size, { atLeastOnePage: true });
    return { keys: page.items, total_count: page.total, current_page: page.page, total_pages: page.total_pages };
  }
}

/** Who set a block, by rank: only the same rank or above lifts it. */
const RANK = { owner: 0, team_admin: 1, proxy_admin: 2 } as const;

function blockRank(actor: Principal, team: TeamItem | null): number {
  if (isProxyAdmin(actor)) return RANK.proxy_admin;
  return team?.members?.[actor.userId]?.role === 'admin' ? RANK.team_admin : RANK.owner;
}

/** A blocked key without a recorded rank (older data) counts as blocked by a proxy admin. */
const blockedRank = (item: { blocked?: unknown; blocked_by_rank?: unknown }): number =>
  !item.blocked ? RANK.owner : typeof item.blocked_by_rank === 'number' ? item.blocked_by_rank : RANK.proxy_admin;
