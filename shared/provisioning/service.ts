import { isProxyAdmin, type Principal } from '../auth/roles';
import type { SsoResult } from '../auth/sso';
import { DomainError, forbidden } from '../core/errors';
import type { ClaimInput } from '../invitations/inputs';
import type { Invitations, IssuedInvitation } from '../invitations/service';
import type { KeyItem } from '../keys/model';
import { NO_DEFAULT_MODELS, type Keys } from '../keys/service';
import type { Settings } from '../settings/service';
import type { MemberRefInput } from '../teams/inputs';
import type { Teams } from '../teams/service';
import type { UserItem } from '../users/model';
import type { Users } from '../users/service';
import { createUser, joinDefaultTeams, type JoinError, type NewUserRequest } from './new-user';

export type { JoinError, NewUserRequest, TeamRequest } from './new-user';

/** The services the use cases compose. */
export type ProvisioningDeps = { users: Users; teams: Teams; settings: Settings; keys: Keys; invitations: Invitations };

/** Who SSO acts as when it creates a user or adds them to their IdP groups' teams. */
export const SSO_ACTOR: Principal = { userId: 'sso', role: 'proxy_admin', via: 'sso' };

/** The personal key `/user/new` makes by default (LiteLLM's `auto_create_key`). */
export type PersonalKeyRequest = { key_alias?: string; duration?: string };

/** The invitation sent with a new user: by email, or only the link when `sendEmail` is false. */
export type InviteRequest = { sendEmail: boolean; baseUrl: string };

export type NewUser = {
  user: UserItem;
  /** Requested or default teams the user could not join; the user is created anyway. */
  join_errors: JoinError[];
  key: { secret: string; item: KeyItem } | null;
  /** Why no personal key was made although one was asked for. */
  key_error: string | null;
  /** Present when an invitation was asked for: the issued one, or why it failed (the user exists either way). */
  invitation?: { issued: IssuedInvitation } | { failed: unknown };
};

/**
 * The flows that span services, each written once and called by both the JSON
 * routes and the pages: creating a user (defaults, default teams, personal key,
 * invitation), adding members by email, claiming an invitation, SSO's first
 * sign-in, deleting teams. Each checks who may run it, so callers only show the
 * DomainError. Built once in `buildDeps` (`deps.provisioning`).
 */
export class Provisioning {
  constructor(private readonly deps: ProvisioningDeps) {}

  /**
   * Creates a user (proxy admins): `/user/new` and the users page. Non-admin users
   * get the default role, budget, models and teams; then, if asked, a personal key
   * (the creation's last step, so a retry after a failure half-way makes it) and an
   * invitation (after the user is set up: its failure is returned, the user stays).
   */
  async createUser(actor: Principal, input: NewUserRequest, opts: { personalKey?: PersonalKeyRequest; invite?: InviteRequest } = {}): Promise<NewUser> {
    if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can create users.');
    const finish = opts.personalKey ? this.personalKey(actor, opts.personalKey) : undefined;
    const created = await createUser(this.deps, actor, input, { finish });
    const key = created.finished?.key ?? null;
    const key_error = created.finished?.key_error ?? null;
    if (!opts.invite) return { user: created.user, join_errors: created.join_errors, key, key_error };
    return { user: created.user, join_errors: created.join_errors, key, key_error, invitation: await this.invite(actor, created.user, opts.invite) };
  }

  /**
   * `/team/member_add` and the team page: adds members by id or email. Every entry is
   * checked first (one bad entry adds nobody); a new email is a new user with the
   * default user settings (its default teams joined, except this one, joined with
   * the role asked for); a user an interrupted creation left half set up is completed.
   */
  async addMembers(actor: Principal, teamId: string, refs: MemberRefInput[], maxBudgetInTeam: number | null) {
    const { teams, users } = this.deps;
    const { team, wanted } = await teams.planMembers(actor, teamId, refs, maxBudgetInTeam);
    const added = [];
    for (const w of wanted) {
      const user =
        w.user && !w.user.setup_pending
          ? w.user
          : (await createUser(this.deps, actor, { user_id: w.user?.user_id, user_email: w.email ?? w.user?.user_email }, { skipTeams: [teamId] })).user;
      await teams.transactMemberOps(team, user, w.role, maxBudgetInTeam);
      added.push((await teams.membership(teamId, user.user_id))!);
    }
    // Read back after joining, so each user's `teams` includes this one (LiteLLM's `updated_users`).
    const updated = await Promise.all(added.map((m) => users.require(m.user_id)));
    return { team: await teams.require(teamId), added, users: updated };
  }

  /**
   * `/onboarding/claim_token` and the onboarding page: sets the password through the
   * invitation, then joins the default teams the user is not in yet (the defaults may
   * have changed since the user was created). Join failures are returned.
   */
  async claimInvitation(input: ClaimInput): Promise<{ user: UserItem; join_errors: JoinError[] }> {
    const claimed = await this.deps.invitations.claim(input);
    const join_errors = await joinDefaultTeams(this.deps, claimed.user_id);
    return { user: await this.deps.users.require(claimed.user_id), join_errors };
  }

  /**
   * SSO's sign-in with a verified email: the user with that email, created on first
   * sign-in the same way as `/user/new` (default settings and teams), then added to the
   * teams their IdP groups map to (never removed: leaving a team deletes its keys).
   */
  async signInFromSso(email: string, groupTeams: Iterable<string>): Promise<SsoResult> {
    const { users } = this.deps;
    let user = await users.byEmail(email);
    let created = false;
    const join_errors: JoinError[] = [];
    if (!user) {
      try {
        const made = await this.createUser(SSO_ACTOR, { user_email: email, metadata: { created_via: 'sso' } });
        user = made.user;
        join_errors.push(...made.join_errors);
        created = true;
      } catch (err) {
        // Two first sign-ins at once: the email guard lets one create the user; the other uses it.
        if (!(err instanceof DomainError && err.kind === 'conflict')) throw err;
        user = await users.byEmail(email);
        if (!user) throw err;
      }
    }
    const current = (await users.get(user.user_id))?.teams ?? new Set<string>();
    for (const teamId of new Set(groupTeams)) {
      if (current.has(teamId)) continue;
      try {
        await this.addMembers(SSO_ACTOR, teamId, [{ user_id: user.user_id, role: 'user' }], null);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        join_errors.push({ team_id: teamId, message: err.message });
      }
    }
    return { user: (await users.get(user.user_id)) ?? user, created, join_errors };
  }

  /**
   * `/team/delete` and the team page: deletes teams (with their keys and memberships)
   * and takes them off the default teams, so new users are not sent to a team that is gone.
   * @returns the deleted team ids.
   */
  async deleteTeams(actor: Principal, teamIds: string[]): Promise<string[]> {
    const deleted = await this.deps.teams.delete(actor, teamIds);
    await this.deps.settings.forgetTeams(deleted);
    return deleted;
  }

  /** LiteLLM creates a personal key by default; a user limited to team models gets none. */
  private personalKey(actor: Principal, request: PersonalKeyRequest) {
    return async (created: UserItem, resumed: boolean): Promise<Pick<NewUser, 'key' | 'key_error'>> => {
      if (created.models.includes(NO_DEFAULT_MODELS)) {
        return { key: null, key_error: 'No key was created: this user has no default models and can only create keys inside a team.' };
      }
      if (resumed && (await this.deps.keys.ofUser(created.user_id)).length > 0) {
        return { key: null, key_error: 'No key was created: an earlier, interrupted attempt at creating this user made one (see /key/list).' };
      }
      return { key: await this.deps.keys.generate(actor, { user_id: created.user_id, ...request }), key_error: null };
    };
  }

  private async invite(actor: Principal, user: UserItem, request: InviteRequest): Promise<NonNullable<NewUser['invitation']>> {
    try {
      return { issued: await this.deps.invitations.create(actor, { user_id: user.user_id, send_email: request.sendEmail }, request.baseUrl) };
    } catch (failed) {
      return { failed };
    }
  }
}
