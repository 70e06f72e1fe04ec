import { isProxyAdmin, isReservedUserId, MASTER_KEY_USER_ID, readsEverything, type Principal, type UserRole } from '../auth/roles';
import { checkPasswordPolicy, hashPassword, verifyPassword } from '../auth/passwords';
import { budgetPeriod, RESET_INDEX_ATTRIBUTES } from '../budgets/fields';
import { initialBudgetState, limitClause } from '../budgets/state';
import { deleteWithGuards, putGuard, type Guarded } from '../db/guards';
import { indexKeys, keys } from '../db/keys';
import { allUsers, ownedByUser, userIdByEmail } from '../db/queries';
import { mustExist, mustNotExist, type Table, type TransactOp } from '../db/table';
import { pageOf } from '../db/paging';
import { setAndRemove } from '../db/update';
import { badRequest, conflict, DomainError, forbidden, notFound } from '../core/errors';
import { newUuid, randomToken } from '../core/ids';
import type { NewUserInput, UserUpdateInput } from './inputs';
import type { UserItem } from './model';

/** Fields only a proxy admin may set on another user, or on themselves. */
const ADMIN_ONLY_FIELDS = ['user_role', 'max_budget', 'soft_budget', 'budget_duration', 'models', 'tpm_limit', 'rpm_limit', 'metadata', 'user_alias'] as const;

export type UserListQuery = {
  role?: UserRole;
  user_ids?: string[];
  user_email?: string;
  team?: string;
  page: number;
  page_size: number;
  sort_by: 'created_at' | 'user_email' | 'user_id' | 'spend' | 'user_alias';
  sort_order: 'asc' | 'desc';
};

const emailTaken = (email: string) => `User with email ${email} already exists`;

/** Users: creation, lookup, update, deletion and listing, with who-may-do-what enforced here. */
export class Users {
  constructor(
    private readonly table: Table,
    private readonly clock: () => Date,
  ) {}

  get(userId: string): Promise<UserItem | undefined> {
    return this.table.get<UserItem>(keys.user(userId));
  }

  require(userId: string): Promise<UserItem> {
    return this.table.require<UserItem>(keys.user(userId), () => notFound(`User ${userId} not found`, 'user_id'));
  }

  async byEmail(email: string): Promise<UserItem | undefined> {
    const userId = await userIdByEmail(this.table, email);
    return userId === undefined ? undefined : this.get(userId);
  }

  /**
   * Writes a new user; the email is claimed in the same transaction, so two
   * concurrent creations with one email cannot both succeed. Only `createUser`
   * (provisioning/new-user.ts) calls this: it applies the default user settings and has
   * checked that `createdBy` may create users.
   * @param opts.pending marks the user as not fully set up yet (default teams to
   * join), so a retry after a failure half-way completes it (`finishSetup`).
   */
  async createRecord(createdBy: string, input: NewUserInput, opts: { pending?: boolean } = {}): Promise<UserItem> {
    const role = input.user_role ?? 'internal_user';
    const now = this.clock().toISOString();
    const userId = input.user_id ?? newUuid();
    if (isReservedUserId(userId)) {
      throw badRequest(`user_id ${userId} is reserved: LiteLLM gives it to the master key. Choose another id.`, 'user_id');
    }
    const email = input.user_email ? normalizeEmail(input.user_email) : null;
    if (input.password !== undefined) checkPasswordPolicy(input.password, email);
    const key = keys.user(userId);
    const user: UserItem & Guarded = {
      ...key,
      ...indexKeys.user(userId, now),
      type: 'user',
      user_id: userId,
      user_email: email,
      user_alias: input.user_alias ?? null,
      user_role: role,
      max_budget: input.max_budget ?? null,
      soft_budget: input.soft_budget ?? null,
      ...initialBudgetState(input.max_budget ?? null),
      ...budgetPeriod(key, input.budget_duration, this.clock()),
      models: input.models ?? [],
      tpm_limit: input.tpm_limit ?? null,
      rpm_limit: input.rpm_limit ?? null,
      metadata: input.metadata ?? {},
      created_at: now,
      updated_at: now,
      created_by: createdBy,
      updated_by: createdBy,
      session_stamp: newSessionStamp(),
      ...(opts.pending ? { setup_pending: true, setup_lease_until: setupLease(this.clock()) } : {}),
      ...(input.password !== undefined ? { password_hash: await hashPassword(input.password) } : {}),
      ...(email ? { unique_guards: [keys.userEmail(email)] } : {}),
    };
    await this.table.transact([
      {
        put: user,
        condition: mustNotExist(() => conflictUserId(userId)),
      },
      ...(email ? [putGuard(keys.userEmail(email), key, 'user_email', emailTaken(email), 'user_email')] : []),
    ]);
    return user;
  }

  /** Ends the set-up window opened by `createRecord(…, { pending: true })`. */
  async finishSetup(userId: string): Promise<void> {
    await this.table.update(keys.user(userId), {
      expression: 'REMOVE setup_pending, setup_lease_until',
      condition: mustExist(() => notFound(`User ${userId} not found`, 'user_id')),
    });
  }

  /**
   * Takes over the set-up of a user that an earlier creation left half done. Only
   * when nobody holds it: a creation running right now keeps its lease (so concurrent
   * creations with one email still have one winner); a failed one released it, a
   * crashed one let it lapse. Returns false when the user is not to be taken over.
   */
  async takeOverSetup(userId: string): Promise<boolean> {
    const now = this.clock();
    try {
      await this.table.update(keys.user(userId), {
        expression: 'SET setup_lease_until = :lease',
        values: { ':lease': setupLease(now), ':true': true, ':now': now.toISOString() },
        condition: {
          expression: 'setup_pending = :true AND (attribute_not_exists(setup_lease_until) OR setup_lease_until <= :now)',
          onFail: () => conflict('This user is being set up by another request.', 'user_id'),
        },
      });
      return true;
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'conflict') return false;
      throw err;
    }
  }

  /** After a failure half-way: a retry may take the set-up over at once. Best effort. */
  async releaseSetup(userId: string): Promise<void> {
    await this.table
      .update(keys.user(userId), { expression: 'REMOVE setup_lease_until', condition: mustExist(() => notFound(`User ${userId} not found`, 'user_id')) })
      .catch(() => undefined);
  }

  /**
   * The stamp sessions of this user must carry. The master key's sessions (signed in
   * as "admin") have theirs in an item of their own: no stored user has that id.
   */
  async sessionStamp(userId: string): Promise<string | null> {
    if (userId === MASTER_KEY_USER_ID) return (await this.table.get<{ session_stamp?: string }>(keys.adminSessions()))?.session_stamp ?? null;
    return (await this.get(userId))?.session_stamp ?? null;
  }

  /**
   * Ends every session of the user (logout, new password): sessions carry the
   * stamp they were issued with, and only the current stamp is accepted.
   */
  async revokeSessions(userId: string): Promise<void> {
    if (userId === MASTER_KEY_USER_ID) {
      await this.table.put({ ...keys.adminSessions(), type: 'settings', session_stamp: newSessionStamp(), updated_at: this.clock().toISOString() });
      return;
    }
    await this.table.update(keys.user(userId), {
      ...setAndRemove({ session_stamp: newSessionStamp() }, []),
      condition: mustExist(() => notFound(`User ${userId} not found`, 'user_id')),
    });
  }

  async info(actor: Principal, userId: string): Promise<UserItem> {
    if (!readsEverything(actor) && actor.userId !== userId) {
      throw forbidden('You can only view your own user information.');
    }
    return this.require(userId);
  }

  /**
   * Updates only the fields given. Users may change their own email and password;
   * everything else (role, budgets, models, limits) is for proxy admins.
   */
  async update(actor: Principal, input: UserUpdateInput): Promise<UserItem> {
    const target = await this.resolve(input.user_id, input.user_email);
    const self = actor.userId === target.user_id;
    if (!isProxyAdmin(actor)) {
      if (input.user_role !== undefined) throw forbidden('Only proxy admins can modify user roles.');
      if (!self) throw forbidden('You can only update your own user information.');
      const adminField = ADMIN_ONLY_FIELDS.find((f) => input[f] !== undefined);
      if (adminField) throw forbidden(`Only proxy admins can change ${adminField}.`);
    }
    const newEmail = input.user_id && input.user_email !== undefined && input.user_email !== null ? normalizeEmail(input.user_email) : undefined;
    const emailChanges = newEmail !== undefined && newEmail !== target.user_email;
    if (input.password !== undefined) checkPasswordPolicy(input.password, newEmail ?? target.user_email);
    if (self && (input.password !== undefined || emailChanges)) await this.checkOwnCredentials(actor, target, input.current_password);

    const now = this.clock();
    const key = keys.user(target.user_id);
    const set: Record<string, unknown> = { updated_at: now.toISOString(), updated_by: actor.userId };
    const remove: string[] = [];
    for (const f of ADMIN_ONLY_FIELDS) {
      if (f !== 'budget_duration' && input[f] !== undefined) set[f] = input[f];
    }
    if (input.budget_duration !== undefined) {
      const period = budgetPeriod(key, input.budget_duration, now);
      Object.assign(set, period);
      if (!input.budget_duration) remove.push(...RESET_INDEX_ATTRIBUTES);
    }
    if (input.password !== undefined) {
      set.password_hash = await hashPassword(input.password);
      // A new password ends every session signed in with the old one.
      set.session_stamp = newSessionStamp();
    }

    const ops: TransactOp[] = [];
    if (emailChanges) {
      set.user_email = newEmail;
      set.unique_guards = [keys.userEmail(newEmail)];
      ops.push(putGuard(keys.userEmail(newEmail), key, 'user_email', emailTaken(newEmail), 'user_email'));
      if (target.user_email) ops.push({ delete: keys.userEmail(target.user_email) });
    }
    const change = {
      ...setAndRemove(set, remove, input.max_budget !== undefined ? [limitClause(input.max_budget)] : []),
      condition: mustExist(() => notFound(`User ${target.user_id} not found`, 'user_id')),
    };
    await this.table.transact([{ update: key, change }, ...ops]);
    return this.require(target.user_id);
  }

  /**
   * Your own password and email are changed only from a signed-in session and with
   * your current password: a leaked virtual key (or an unattended session) must not
   * be enough to take the account over.
   */
  private async checkOwnCredentials(actor: Principal, user: UserItem, currentPassword: string | undefined): Promise<void> {
    if (actor.via !== 'session') {
      throw forbidden('Changing your password or email needs a signed-in session (sign in with your password), not an API key.');
    }
    if (!user.password_hash) return; // nothing to confirm yet (no password was ever set)
    if (!currentPassword) throw badRequest('Give current_password to change your password or email.', 'current_password');
    if (!(await verifyPassword(currentPassword, user.password_hash))) {
      throw new DomainError('forbidden', 'current_password is not your current password.', 'current_password');
    }
  }

  /**
   * Deletes users and everything that belongs to them (memberships, keys,
   * invitations), nothing else. The user item goes last, so a run interrupted
   * half-way is finished by calling delete again.
   */
  async delete(actor: Principal, userIds: string[]): Promise<string[]> {
    if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can delete users.');
    const users = await Promise.all(userIds.map((id) => this.require(id)));
    for (const user of users) {
      const owned = await this.table.queryAll<{ PK: string; SK: string } & Guarded & Record<string, unknown>>(ownedByUser(user.user_id));
      // Memberships also leave their team's member list (for teams that still exist:
      // an update would create the others).
      const teamIds = owned.filter((i) => i.type === 'member').map((i) => String(i.team_id));
      const liveTeams = new Set((await this.table.batchGet<{ team_id: string }>(teamIds.map((t) => keys.team(t)))).map((t) => t.team_id));
      const ops = owned.flatMap((item) => [
        ...deleteWithGuards(item),
        ...(item.type === 'member' && liveTeams.has(String(item.team_id))
          ? [{ update: keys.team(String(item.team_id)), change: { expression: 'REMOVE #members.#uid', names: { '#members': 'members', '#uid': user.user_id } } }]
          : []),
      ]);
      await this.table.transactInChunks(ops);
      await this.table.transact(deleteWithGuards(user as UserItem & Guarded));
    }
    return users.map((u) => u.user_id);
  }

  async list(actor: Principal, q: UserListQuery) {
    if (!readsEverything(actor)) throw forbidden('Only proxy admins and proxy admin viewers can list users.');
    const all = await this.table.queryAll<UserItem>(allUsers());
    const needle = q.user_email?.toLowerCase();
    const ids = q.user_ids ? new Set(q.user_ids) : undefined;
    const matching = all.filter(
      (u) =>
        (!q.role || u.user_role === q.role) &&
        (!ids || ids.has(u.user_id)) &&
        (!needle || (u.user_email ?? '').includes(needle)) &&
        (!q.team || (u.teams?.has(q.team) ?? false)),
    );
    const dir = q.sort_order === 'desc' ? -1 : 1;
    matching.sort((a, b) => dir * compare(a[q.sort_by], b[q.sort_by]));
    const { items, ...paging } = pageOf(matching, q.page, q.page_size, { atLeastOnePage: true });
    return { users: items, ...paging };
  }

  /** A user named by id or, when no id is given, by email. */
  async resolve(userId: string | undefined, email: string | null | undefined): Promise<UserItem> {
    if (userId) return this.require(userId);
    if (email) {
      const user = await this.byEmail(email);
      if (!user) throw notFound(`User with email ${email} not found`, 'user_email');
      return user;
    }
    throw badRequest('Give user_id or user_email.', 'user_id');
  }
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

/** How long a creation holds a half-set-up user before a retry may take it over (longer than a request lives). */
const SETUP_LEASE_MS = 60_000;
const setupLease = (now: Date) => new Date(now.getTime() + SETUP_LEASE_MS).toISOString();

/** A fresh random session stamp (see `revokeSessions`). */
export const newSessionStamp = () => randomToken(16);

const conflictUserId = (userId: string) => conflict(`User with id ${userId} already exists`, 'user_id');

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  return a < b ? -1 : 1;
}
