/**
 * The named access patterns (shared/db/queries.ts) find exactly what the key builders
 * (shared/db/keys.ts) write: each Query's key condition, evaluated here as DynamoDB
 * would, matches the items it is named for and none of their neighbours in the
 * same partition. DynamoDB-free.
 */
import { indexKeys, keyIndexMove, keys, withoutTableKeys } from '../../shared/db/keys';
import * as q from '../../shared/db/queries';

/** DynamoDB's key condition for a pattern: partition key equal, sort key begins with / at most. */
function matches(pattern: q.AccessPattern, item: Record<string, unknown>): boolean {
  const pk = item[pattern.index ? `${pattern.index}PK` : 'PK'];
  const sk = item[pattern.index ? `${pattern.index}SK` : 'SK'];
  if (pk !== pattern.pk) return false;
  if (pattern.skPrefix !== undefined) return typeof sk === 'string' && sk.startsWith(pattern.skPrefix);
  if (pattern.skAtMost !== undefined) return typeof sk === 'string' && sk <= pattern.skAtMost;
  return true;
}

const at = '2027-03-10T08:00:00.000Z';
const user = { ...keys.user('u1'), ...indexKeys.user('u1', at) };
const team = { ...keys.team('t1'), ...indexKeys.team('t1', at) };
const member = { ...keys.member('t1', 'u1'), ...indexKeys.member('t1', 'u1') };
const userKey = { ...keys.key('h1'), ...indexKeys.key('h1', at, 'u1', null) };
const teamKey = { ...keys.key('h2'), ...indexKeys.key('h2', at, 'u1', 't1') };
const invitation = { ...keys.invitation('i1'), ...indexKeys.invitation('i1', 'u1', at) };
const passwordReset = { ...keys.passwordReset('p1'), ...indexKeys.passwordReset('p1', 'u1', at) };
const model = { ...keys.model('m1'), ...indexKeys.model('m1', 'gpt-x', at) };
const otherModel = { ...keys.model('m2'), ...indexKeys.model('m2', 'gpt-y', at) };
const audit = { ...keys.auditEntry('a1'), ...indexKeys.auditEntry('a1', at, 'u1', 'h1') };
const rotation = (when: string, hash: string) => ({ ...keys.keyRotation(hash), ...indexKeys.keyRotation(when, hash) });
const everything = { user, team, member, userKey, teamKey, invitation, passwordReset, model, otherModel, audit };

function found(pattern: q.AccessPattern): string[] {
  return Object.entries(everything)
    .filter(([, item]) => matches(pattern, item))
    .map(([name]) => name)
    .sort();
}

test.each<[string, q.AccessPattern, string[]]>([
  ['allUsers', q.allUsers(), ['user']],
  ['allTeams', q.allTeams(), ['team']],
  ['allKeys', q.allKeys(), ['teamKey', 'userKey']],
  ['allModels', q.allModels(), ['model', 'otherModel']],
  ['membersOf', q.membersOf('t1'), ['member']],
  ['keysOfTeam', q.keysOfTeam('t1'), ['teamKey']],
  ['teamsOfUser', q.teamsOfUser('u1'), ['member']],
  ['keysOfUser', q.keysOfUser('u1'), ['teamKey', 'userKey']],
  ['invitationsOfUser', q.invitationsOfUser('u1'), ['invitation']],
  ['ownedByUser', q.ownedByUser('u1'), ['invitation', 'member', 'passwordReset', 'teamKey', 'userKey']],
  ['deploymentsNamed', q.deploymentsNamed('gpt-x'), ['model']],
  ['auditEntries', q.auditEntries(), ['audit']],
  ['auditEntriesBy', q.auditEntriesBy('u1'), ['audit']],
  ['auditEntriesOf', q.auditEntriesOf('h1'), ['audit']],
])('%s finds exactly what it is named for', (_name, pattern, expected) => {
  expect(found(pattern)).toEqual(expected);
});

test.each([
  ['membersOf', q.membersOf('t2')],
  ['keysOfTeam', q.keysOfTeam('t2')],
  ['keysOfUser', q.keysOfUser('u2')],
  ['ownedByUser', q.ownedByUser('u2')],
  ['auditEntriesBy', q.auditEntriesBy('u2')],
])("%s of another owner finds none of this one's items", (_name, pattern) => {
  expect(found(pattern)).toEqual([]);
});

test('keysDueForRotation finds the keys due at `now` (the same instant included), not later ones', () => {
  const now = new Date('2027-03-10T08:00:00.000Z');
  const due = q.keysDueForRotation(now);
  expect(matches(due, rotation('2027-03-10T07:59:59.999Z', 'h1'))).toBe(true);
  expect(matches(due, rotation('2027-03-10T08:00:00.000Z', 'h2'))).toBe(true);
  expect(matches(due, rotation('2027-03-10T08:00:00.001Z', 'h3'))).toBe(false);
  expect(q.keysDueForRotation(now.toISOString())).toEqual(due);
  // Budgets due for reset share the sparse index, never this partition.
  expect(matches(due, indexKeys.budgetReset('2027-03-10T07:00:00.000Z', 'KEY#h1', 'KEY'))).toBe(false);
});

test('a key that leaves its user or its team also leaves that index', () => {
  const teamOnly = keyIndexMove('h2', at, null, 't1');
  expect(teamOnly.remove).toEqual(['GSI2PK', 'GSI2SK']);
  expect(matches(q.keysOfTeam('t1'), teamOnly.set)).toBe(true);
  const userOnly = keyIndexMove('h2', at, 'u1', null);
  expect(userOnly.remove).toEqual(['GSI3PK', 'GSI3SK']);
  expect(matches(q.keysOfUser('u1'), userOnly.set)).toBe(true);
  expect(keyIndexMove('h2', at, 'u1', 't1').remove).toEqual([]);
});

test('withoutTableKeys keeps the attributes and drops the table and index keys', () => {
  const item = { ...teamKey, ...rotation(at, 'h2'), token: 'h2', GSI_note: 'kept: not an index key', key_alias: null };
  expect(withoutTableKeys(item)).toEqual({ token: 'h2', GSI_note: 'kept: not an index key', key_alias: null });
});
