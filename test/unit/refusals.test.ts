/**
 * Refusal messages built without a table: which level refuses a model and how it
 * says so (shared/gateway/access.ts, LiteLLM's wording), a key calling a route its
 * allowed_routes leave out (shared/keys/routes.ts), and a member added twice.
 * Each names what was asked, what is allowed, and who decides.
 */
import { alreadyInTeam, DomainError } from '../../shared/core/errors';
import { refusingLevel, type KeyScope } from '../../shared/gateway/access';
import { ModelAccessDenied } from '../../shared/gateway/errors';
import { assertKeyMayCall } from '../../shared/keys/routes';

/** Only the fields the model rule reads. */
function scope(key: { models: string[]; team_id?: string | null }, team?: { models: string[] } | null, user?: { models: string[] } | null): KeyScope {
  return {
    key: { team_id: null, ...key },
    team: team ? { team_id: 'team-1', ...team } : null,
    user: user ? { user_id: 'user-1', ...user } : null,
  } as unknown as KeyScope;
}

describe('refusingLevel: which level refuses a model, in LiteLLM words', () => {
  test('nothing restricted: no refusal', () => {
    expect(refusingLevel(scope({ models: [] }, null, { models: [] }), 'gpt-4o')).toBeNull();
    expect(refusingLevel(scope({ models: ['all-proxy-models'] }, null, { models: ['all-proxy-models'] }), 'gpt-4o')).toBeNull();
    expect(refusingLevel(scope({ models: [], team_id: 'team-1' }, { models: [] }), 'gpt-4o')).toBeNull();
  });

  test("the key's own list comes first", () => {
    const refused = refusingLevel(scope({ models: ['claude'], team_id: 'team-1' }, { models: ['gpt-4o'] }), 'gpt-4o');
    expect(refused).toBeInstanceOf(ModelAccessDenied);
    expect(refused).toMatchObject({ level: 'key', kind: 'forbidden', param: 'model' });
    expect(refused!.message).toBe('key not allowed to access model. This key can only access models=["claude"]. Tried to access gpt-4o.');
    expect(refusingLevel(scope({ models: ['gpt-4o'] }, null, { models: [] }), 'gpt-4o')).toBeNull();
  });

  test("a team key is held to the team's models; all-team-models defers to them", () => {
    const refused = refusingLevel(scope({ models: [], team_id: 'team-1' }, { models: ['gpt-4o', 'claude'] }), 'llama');
    expect(refused).toMatchObject({ level: 'team' });
    expect(refused!.message).toBe('team not allowed to access model. Team=team-1 can only access models=["gpt-4o","claude"]. Tried to access llama.');
    expect(refusingLevel(scope({ models: ['all-team-models'], team_id: 'team-1' }, { models: ['claude'] }), 'claude')).toBeNull();
    expect(refusingLevel(scope({ models: ['all-team-models'], team_id: 'team-1' }, { models: ['claude'] }), 'gpt-4o')).toMatchObject({ level: 'team' });
  });

  test("a team key ignores its user's models", () => {
    expect(refusingLevel(scope({ models: [], team_id: 'team-1' }, { models: ['gpt-4o'] }, { models: ['no-default-models'] }), 'gpt-4o')).toBeNull();
  });

  test("a personal key is held to its user's models", () => {
    const refused = refusingLevel(scope({ models: [] }, null, { models: ['claude'] }), 'gpt-4o');
    expect(refused).toMatchObject({ level: 'user' });
    expect(refused!.message).toBe('user not allowed to access model. User=user-1 can only access models=["claude"]. Tried to access gpt-4o.');
  });

  test('no-default-models keeps a personal key from every model, and says to use a team', () => {
    for (const models of [['no-default-models'], ['no-default-models', 'gpt-4o']]) {
      const refused = refusingLevel(scope({ models: [] }, null, { models }), 'gpt-4o');
      expect(refused).toMatchObject({ level: 'user' });
      expect(refused!.message).toBe('user not allowed to access model. User=user-1 has no-default-models: only keys inside a team can call models. Tried to access gpt-4o.');
    }
  });
});

describe("assertKeyMayCall: a key's allowed_routes", () => {
  test('a route the list allows passes', () => {
    expect(() => assertKeyMayCall({ allowed_routes: ['/key/info'], key_name: 'sk-...abcd' }, '/key/info')).not.toThrow();
    expect(() => assertKeyMayCall({ allowed_routes: [], key_name: 'sk-...abcd' }, '/team/new')).not.toThrow();
  });

  test('any other is a 403 listing what is allowed, the route tried and the key', () => {
    let err: unknown;
    try {
      assertKeyMayCall({ allowed_routes: ['/key/info', '/v1/*'], key_name: 'sk-...abcd' }, '/team/list');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({
      kind: 'forbidden',
      message: 'Virtual key is not allowed to call this route. Only allowed to call routes: [/key/info, /v1/*]. Tried to call route: /team/list (key sk-...abcd).',
    });
  });
});

test('adding a member twice: LiteLLM\'s team_member_already_in_team, naming both', () => {
  expect(alreadyInTeam('user-1', 'team-1')).toMatchObject({
    kind: 'team_member_already_in_team',
    param: 'member',
    message: 'User already in team: user_id=user-1 is already a member of team_id=team-1.',
  });
});
