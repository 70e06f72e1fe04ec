/**
 * The spend gateway's and the reset's writes as pure builders (shared/spend/updates.ts):
 * what each update changes, the condition that guards it, and what a failed condition
 * means (the refusal a caller sees). No DynamoDB: the builders do no I/O.
 */
import { keys } from '../../shared/db/keys';
import { DomainError } from '../../shared/core/errors';
import { KeyExpired } from '../../shared/keys/usable';
import {
  AlreadyMoved,
  AlreadyRecorded,
  budgetExceeded,
  recordOps,
  reservationDelete,
  refusal,
  releaseUpdate,
  reservationOps,
  ResetDue,
  reserveUpdate,
  resetUpdate,
  scopesOf,
  ScopeMoved,
  settleUpdate,
  unknownRequest,
  type Scope,
} from '../../shared/spend/updates';

const now = new Date('2027-04-01T12:00:00.000Z');
const teamKey = { token: 'tok', key_alias: null, key_name: 'sk-...abcd', team_id: 't1', user_id: 'u1' };
const [keyScope, memberScope, teamScope, userScope] = scopesOf(teamKey) as [Scope, Scope, Scope, Scope];

describe('scopesOf', () => {
  test('a team key with a user spends on its key, membership, team and user; only the team checks models', () => {
    expect(scopesOf(teamKey).map((s) => [s.kind, s.key, !!s.checkModels])).toEqual([
      ['key', keys.key('tok'), false],
      ['member', keys.member('t1', 'u1'), false],
      ['team', keys.team('t1'), true],
      ['user', keys.user('u1'), false],
    ]);
  });

  test("a personal key: key and user, and the user's models apply; a service-account key: key and team", () => {
    expect(scopesOf({ ...teamKey, team_id: null }).map((s) => [s.kind, !!s.checkModels])).toEqual([
      ['key', false],
      ['user', true],
    ]);
    expect(scopesOf({ ...teamKey, user_id: null }).map((s) => s.kind)).toEqual(['key', 'team']);
  });
});

describe('reserveUpdate', () => {
  test('lowers what remains and raises used and reserved by the cost, only if the budget has it and is not past its reset', () => {
    const op = reserveUpdate(memberScope, 0.25, 'gpt-4o', now);
    expect(op.update).toEqual(keys.member('t1', 'u1'));
    expect(op.change.expression).toContain('#remaining = #remaining - :cost');
    expect(op.change.expression).toContain('#used = #used + :cost');
    expect(op.change.expression).toContain('#reserved = #reserved + :cost');
    expect(op.change.expression).toContain('ADD #counter_version :one_version');
    const cond = op.change.condition!.expression;
    expect(cond).toContain('attribute_exists(PK)');
    expect(cond).toContain('#remaining >= :cost');
    expect(cond).toContain('#remaining > :nothing'); // a zero estimate does not pass an exhausted budget
    expect(cond).toContain('#reset_at > :now');
    expect(op.change.values).toMatchObject({ ':cost': 0.25, ':nothing': 0, ':now': now.toISOString() });
    // a membership has no blocked flag and no model list of its own
    expect(cond).not.toContain('#blocked');
    expect(cond).not.toContain('#models');
  });

  test('keys and teams must not be blocked; the team must allow the model', () => {
    expect(reserveUpdate(keyScope, 1, 'm', now).change.condition!.expression).toContain('#blocked = :false');
    const team = reserveUpdate(teamScope, 1, 'gpt-4o', now).change;
    expect(team.condition!.expression).toContain('#blocked = :false');
    expect(team.condition!.expression).toContain('contains(#models, :model)');
    expect(team.values).toMatchObject({ ':model': 'gpt-4o', ':all': 'all-proxy-models' });
    expect(reserveUpdate(userScope, 1, 'm', now).change.condition!.expression).not.toContain('#models');
  });

  test('every placeholder the expressions use is defined, and none is left unused', () => {
    for (const op of [reserveUpdate(teamScope, 1, 'm', now), settleUpdate(keys.key('k'), 2, 1), releaseUpdate(keys.key('k'), 1)]) {
      const text = `${op.change.expression} ${op.change.condition!.expression}`;
      const names = { ...op.change.names, ...op.change.condition!.names };
      const values = { ...op.change.values, ...op.change.condition!.values };
      expect(new Set(text.match(/#\w+/g))).toEqual(new Set(Object.keys(names)));
      expect(new Set(text.match(/:\w+/g))).toEqual(new Set(Object.keys(values)));
    }
  });
});

describe('refusals: what a failed reserve condition means', () => {
  const budget = { budget_remaining: 0.1, used: 9.9, spend: 9.5, reserved_spend: 0.4, budget_reset_at: '2027-05-01T00:00:00.000Z', budget_duration: '1mo' };

  test('which budget, its spend, reservations, limit, what the request needs and the reset', () => {
    const err = refusal(teamScope, budget, 0.25, 'gpt-4o', now);
    expect(err.kind).toBe('budget_exceeded');
    expect(err.param).toBe('team_budget');
    expect(err.message).toBe('Budget has been exceeded! team t1: spend=9.5, reserved=0.4, max_budget=10, this request needs 0.25; budget_reset_at=2027-05-01T00:00:00.000Z.');
    expect(budgetExceeded({ kind: 'key', label: 'key k' }, { ...budget, budget_reset_at: null }, 1).message).toContain('budget_reset_at=never (no budget_duration)');
  });

  test('gone: the member left the team, or the budget no longer exists', () => {
    expect(refusal(memberScope, undefined, 1, 'm', now).message).toBe("The key's user is no longer a member of its team (member u1 in team t1).");
    expect(refusal(userScope, undefined, 1, 'm', now)).toMatchObject({ kind: 'unauthenticated', message: 'user u1 no longer exists.' });
  });

  test('past its reset time: ResetDue carries the item, so it is reset and the reserve retried', () => {
    const err = refusal(keyScope, { ...budget, budget_reset_at: '2027-04-01T00:00:00.000Z' }, 1, 'm', now);
    expect(err).toBeInstanceOf(ResetDue);
    expect((err as ResetDue).item.budget_reset_at).toBe('2027-04-01T00:00:00.000Z');
  });

  test("blocked key or team: the one key check's messages", () => {
    expect(refusal(keyScope, { ...budget, blocked: true }, 1, 'm', now).message).toBe("Key is blocked: sk-...abcd. Update via `/key/unblock` if you're an admin.");
    expect(refusal(teamScope, { ...budget, blocked: true }, 1, 'm', now).message).toMatch(/^Team=t1 is blocked\./);
    expect(refusal(teamScope, { ...budget, blocked: true }, 1, 'm', now)).not.toBeInstanceOf(KeyExpired);
  });

  test('a model the team does not allow is named with the allowed ones', () => {
    expect(refusal(teamScope, { ...budget, budget_remaining: 100, models: ['a', 'b'] }, 1, 'c', now).message).toBe('team t1 is not allowed to access model c. Allowed models: a, b.');
  });

  test('unknown request ids say why they may be unknown', () => {
    expect(unknownRequest('r1', 15)).toMatchObject({ kind: 'not_found', param: 'request_id' });
    expect(unknownRequest('r1', 15).message).toContain('expired after 15 minutes');
  });
});

describe('settleUpdate and releaseUpdate', () => {
  test('a charge within the reservation always fits: the scope need only still exist', () => {
    const op = settleUpdate(keys.team('t1'), 0.2, 0.5);
    expect(op.change.values).toMatchObject({ ':charged': 0.2, ':reserved': 0.5, ':delta': -0.3 });
    expect(op.change.expression).toContain('#spend = #spend + :charged');
    expect(op.change.expression).toContain('#reserved = #reserved - :reserved');
    expect(op.change.expression).toContain('#remaining = #remaining - :delta');
    expect(op.change.condition!.expression).toBe('attribute_exists(PK)');
  });

  test('a charge above the reservation only if the excess fits: never over a cap', () => {
    const op = settleUpdate(keys.team('t1'), 0.7, 0.5);
    expect(op.change.condition!.expression).toBe('attribute_exists(PK) AND #remaining >= :delta');
    expect(op.change.values![':delta']).toBeCloseTo(0.2, 12);
    expect(op.change.condition!.onFail({ budget_remaining: 0.1 })).toMatchObject({ kind: 'budget_exceeded' });
  });

  test('a scope gone since the reservation is ScopeMoved, so live scopes are resolved again', () => {
    const err = settleUpdate(keys.key('old'), 1, 1).change.condition!.onFail(undefined);
    expect(err).toBeInstanceOf(ScopeMoved);
    expect((err as ScopeMoved).scope).toEqual(keys.key('old'));
  });

  test('a release gives the whole reservation back and charges nothing', () => {
    expect(releaseUpdate(keys.user('u1'), 0.5).change.values).toMatchObject({ ':charged': 0, ':reserved': 0.5, ':delta': -0.5 });
  });
});

describe('reservation and record items', () => {
  const res = { request_id: 'r1', amount: 1, model: 'm', token: 'tok', user_id: 'u1', team_id: 't1', scopes: [keys.key('tok')], expires_at: '2027-04-01T12:15:00.000Z' };

  test("the reservation is the request's one item, written once: never for a request id already reserved or recorded", () => {
    const ops = reservationOps(res);
    expect(ops).toHaveLength(1);
    const [put] = ops;
    expect(put && 'put' in put && put.put).toMatchObject({ ...keys.request('r1'), type: 'reservation', amount: 1, ttl: Date.parse(res.expires_at) / 1000 + 86_400 });
    expect(put && 'put' in put && put.condition!.expression).toBe('attribute_not_exists(PK)');
    expect(put && 'put' in put && put.condition!.onFail({ type: 'reservation' }).message).toBe('request_id r1 was already authorized.');
    expect(put && 'put' in put && put.condition!.onFail({ type: 'spend_record' }).message).toBe('request_id r1 was already recorded: use a new request_id.');
  });

  test('the record replaces the open reservation, once per request id; a release deletes only an open reservation', () => {
    const stored = { request_id: 'r1', token: 'tok', user_id: 'u1', team_id: null, model: 'm', cost: 2, charged: 1, reserved: 1, uncharged: 1, prompt_tokens: null, completion_tokens: null, created_at: '2027-04-01T12:01:00.000Z' };
    const ops = recordOps(stored);
    expect(ops).toHaveLength(1);
    const [put] = ops;
    expect(put && 'put' in put && put.put).toMatchObject({ ...keys.request('r1'), type: 'spend_record', charged: 1, uncharged: 1 });
    expect(put && 'put' in put && put.put).not.toHaveProperty('ttl');
    expect(put && 'put' in put && put.condition).toMatchObject({ expression: '#type = :reservation', values: { ':reservation': 'reservation' } });
    expect(put && 'put' in put && put.condition!.onFail({ type: 'spend_record' })).toBeInstanceOf(AlreadyRecorded);
    expect(put && 'put' in put && put.condition!.onFail(undefined)).toMatchObject({ kind: 'not_found', param: 'request_id' });
    const del = reservationDelete('r1', () => new AlreadyRecorded('r1'));
    expect(del).toMatchObject({ delete: keys.request('r1'), condition: { expression: '#type = :reservation' } });
  });
});

describe('resetUpdate', () => {
  const item = { PK: 'KEY#k1', SK: 'KEY', type: 'key' as const, budget_duration: '1d', budget_reset_at: '2027-04-01T00:00:00.000Z', spend: 3 };

  test('one item, conditional on the reset time read: a second run (or a moved item) is AlreadyMoved', () => {
    const op = resetUpdate(item, now);
    expect(op.update).toEqual({ PK: 'KEY#k1', SK: 'KEY' });
    expect(op.change.condition!.expression).toBe('#reset_at = :old');
    expect(op.change.values).toMatchObject({ ':old': '2027-04-01T00:00:00.000Z', ':next': '2027-04-02T00:00:00.000Z', ':now': now.toISOString() });
    expect(op.change.condition!.onFail({})).toBeInstanceOf(AlreadyMoved);
    expect(op.change.condition!.onFail({})).toBeInstanceOf(DomainError);
  });

  test('keeps open reservations counted, keeps the period spend, and moves the reset index entry', () => {
    const { expression, values } = resetUpdate(item, now).change;
    expect(expression).toContain('#remaining = #remaining + #spend');
    expect(expression).toContain('#used = #reserved');
    expect(expression).toContain('last_period_spend = #spend');
    expect(values![':gsi']).toBe('2027-04-02T00:00:00.000Z#KEY#k1#KEY');
  });
});
