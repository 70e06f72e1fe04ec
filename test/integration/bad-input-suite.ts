/**
 * Bad input on every team, key, user-list and default-settings route: each case
 * answers 4xx in LiteLLM's envelope AND writes nothing — checked by reading back every team (with
 * its members and budgets), every key, every user and the default settings before
 * and after each request.
 *
 * Paths and bodies may name the fixtures with placeholders, filled in at run time:
 * {T} the team ("Research Team", models gpt-4o, member {M}), {T2} a second team,
 * {M} a member of {T}, {X} a user in no team, {K} / {KH} a key of {M} in {T} (secret
 * / token hash, alias "existing-alias"), {MISSING_KEY} a well-formed key that does not exist.
 *
 * Each resource's error.test.ts runs the cases of its own routes with `badInputSuite`.
 */
import { randomUUID } from 'node:crypto';
import { MASTER_KEY, expectError, testStack, type Reply, type TestStack } from '../support/stack';

type Case = {
  name: string;
  method: 'GET' | 'POST' | 'PATCH';
  path: string;
  /** A JSON value to send, or `raw` to send exactly these bytes (with `contentType`, if any). */
  body?: unknown;
  raw?: string;
  contentType?: string | null;
  status: number;
  type?: string;
  param?: string | null;
  message?: RegExp;
};

const NO_BODY = { raw: undefined, contentType: null } as const;
const NOT_JSON = { raw: '{"team_alias": "x",', contentType: 'application/json' } as const;
const TEXT = { raw: 'team_alias=x', contentType: 'text/plain' } as const;
const BAD = 'bad_request_error';
const NF = 'not_found_error';

// prettier-ignore
const ALL_CASES: Case[] = [
  // ---- POST /team/new
  { name: 'no body', method: 'POST', path: '/team/new', ...NO_BODY, status: 400, type: BAD },
  { name: 'malformed JSON', method: 'POST', path: '/team/new', ...NOT_JSON, status: 400, type: BAD },
  { name: 'text/plain body', method: 'POST', path: '/team/new', ...TEXT, status: 400, type: BAD, message: /Content-Type: application\/json/ },
  { name: 'a JSON array', method: 'POST', path: '/team/new', body: [{ team_alias: 'x' }], status: 400, type: BAD },
  { name: 'team_alias a number', method: 'POST', path: '/team/new', body: { team_alias: 123 }, status: 400, type: BAD, param: 'team_alias' },
  { name: 'models a string', method: 'POST', path: '/team/new', body: { team_alias: 'n1', models: 'gpt-4o' }, status: 400, type: BAD, param: 'models' },
  { name: 'max_budget a string', method: 'POST', path: '/team/new', body: { team_alias: 'n2', max_budget: '10' }, status: 400, type: BAD, param: 'max_budget' },
  { name: 'blocked a string', method: 'POST', path: '/team/new', body: { team_alias: 'n3', blocked: 'no' }, status: 400, type: BAD, param: 'blocked' },
  { name: 'metadata an array', method: 'POST', path: '/team/new', body: { team_alias: 'n4', metadata: [1] }, status: 400, type: BAD, param: 'metadata' },
  { name: 'negative max_budget', method: 'POST', path: '/team/new', body: { team_alias: 'n5', max_budget: -1 }, status: 400, type: BAD, param: 'max_budget' },
  { name: 'negative team_member_budget', method: 'POST', path: '/team/new', body: { team_alias: 'n6', team_member_budget: -0.01 }, status: 400, type: BAD, param: 'team_member_budget' },
  { name: 'negative tpm_limit', method: 'POST', path: '/team/new', body: { team_alias: 'n7', tpm_limit: -5 }, status: 400, type: BAD, param: 'tpm_limit' },
  { name: "budget_duration '5y'", method: 'POST', path: '/team/new', body: { team_alias: 'n8', budget_duration: '5y' }, status: 400, type: BAD, param: 'budget_duration' },
  { name: "budget_duration '0d'", method: 'POST', path: '/team/new', body: { team_alias: 'n9', budget_duration: '0d' }, status: 400, type: BAD, param: 'budget_duration' },
  { name: "team_member_budget_duration 'monthly'", method: 'POST', path: '/team/new', body: { team_alias: 'n10', team_member_budget_duration: 'monthly' }, status: 400, type: BAD, param: 'team_member_budget_duration' },
  { name: "team_member_key_duration '5y'", method: 'POST', path: '/team/new', body: { team_alias: 'n11', team_member_key_duration: '5y' }, status: 400, type: BAD, param: 'team_member_key_duration' },
  { name: 'unknown permission', method: 'POST', path: '/team/new', body: { team_alias: 'n12', team_member_permissions: ['/key/info', '/user/delete'] }, status: 400, type: BAD, param: 'team_member_permissions.1' },
  { name: 'unknown member role', method: 'POST', path: '/team/new', body: { team_alias: 'n13', members_with_roles: [{ user_id: '{X}', role: 'owner' }] }, status: 400, type: BAD, param: 'members_with_roles.0.role' },
  { name: 'member with neither id nor email', method: 'POST', path: '/team/new', body: { team_alias: 'n14', members_with_roles: [{ role: 'user' }] }, status: 400, type: BAD },
  { name: 'unknown member user_id', method: 'POST', path: '/team/new', body: { team_alias: 'n15', members_with_roles: [{ user_id: '{X}' }, { user_id: 'nobody-here' }] }, status: 404, type: NF, message: /nobody-here/ },
  { name: 'team_id with a slash', method: 'POST', path: '/team/new', body: { team_id: 'a/b', team_alias: 'n16' }, status: 400, type: BAD, param: 'team_id' },
  { name: 'existing team_id', method: 'POST', path: '/team/new', body: { team_id: '{T}', team_alias: 'n17' }, status: 409, type: BAD, param: 'team_id' },
  { name: 'duplicate team_alias', method: 'POST', path: '/team/new', body: { team_alias: 'Research Team' }, status: 409, type: BAD, param: 'team_alias', message: /already exists/ },
  { name: 'duplicate team_alias, other case and spaces', method: 'POST', path: '/team/new', body: { team_alias: '  rEsEaRcH tEaM ' }, status: 409, type: BAD, param: 'team_alias' },
  // ---- GET /team/info
  { name: 'no team_id', method: 'GET', path: '/team/info', status: 400, type: BAD, param: 'team_id' },
  { name: 'unknown team_id', method: 'GET', path: '/team/info?team_id=no-such-team', status: 404, type: NF, param: 'team_id', message: /no-such-team/ },
  { name: 'team_id with bad characters', method: 'GET', path: '/team/info?team_id=%27%20OR%201%3D1', status: 400, type: BAD, param: 'team_id' },
  // ---- POST /team/update
  { name: 'no body', method: 'POST', path: '/team/update', ...NO_BODY, status: 400, type: BAD },
  { name: 'malformed JSON', method: 'POST', path: '/team/update', ...NOT_JSON, status: 400, type: BAD },
  { name: 'no team_id', method: 'POST', path: '/team/update', body: { max_budget: 5 }, status: 400, type: BAD, param: 'team_id' },
  { name: 'unknown team_id', method: 'POST', path: '/team/update', body: { team_id: 'no-such-team', max_budget: 5 }, status: 404, type: NF },
  { name: 'negative max_budget', method: 'POST', path: '/team/update', body: { team_id: '{T}', max_budget: -5 }, status: 400, type: BAD, param: 'max_budget' },
  { name: "budget_duration '5y'", method: 'POST', path: '/team/update', body: { team_id: '{T}', budget_duration: '5y' }, status: 400, type: BAD, param: 'budget_duration' },
  { name: 'models a string', method: 'POST', path: '/team/update', body: { team_id: '{T}', models: 'gpt-4o' }, status: 400, type: BAD, param: 'models' },
  { name: 'unknown permission', method: 'POST', path: '/team/update', body: { team_id: '{T}', team_member_permissions: ['/team/delete'] }, status: 400, type: BAD },
  { name: "another team's alias", method: 'POST', path: '/team/update', body: { team_id: '{T2}', team_alias: 'research team', max_budget: 1 }, status: 409, type: BAD, param: 'team_alias' },
  // ---- POST /team/delete
  { name: 'no body', method: 'POST', path: '/team/delete', ...NO_BODY, status: 400, type: BAD },
  { name: 'empty team_ids', method: 'POST', path: '/team/delete', body: { team_ids: [] }, status: 400, type: BAD, param: 'team_ids' },
  { name: 'team_ids a string', method: 'POST', path: '/team/delete', body: { team_ids: '{T}' }, status: 400, type: BAD, param: 'team_ids' },
  { name: 'unknown team', method: 'POST', path: '/team/delete', body: { team_ids: ['no-such-team'] }, status: 404, type: NF },
  { name: 'a known and an unknown team', method: 'POST', path: '/team/delete', body: { team_ids: ['{T2}', 'no-such-team'] }, status: 404, type: NF },
  // ---- GET /team/list
  { name: 'user_id with bad characters', method: 'GET', path: '/team/list?user_id=a%20b', status: 400, type: BAD, param: 'user_id' },
  // ---- POST /team/member_add
  { name: 'no body', method: 'POST', path: '/team/member_add', ...NO_BODY, status: 400, type: BAD },
  { name: 'no member', method: 'POST', path: '/team/member_add', body: { team_id: '{T}' }, status: 400, type: BAD, param: 'member' },
  { name: 'empty member list', method: 'POST', path: '/team/member_add', body: { team_id: '{T}', member: [] }, status: 400, type: BAD },
  { name: 'unknown team', method: 'POST', path: '/team/member_add', body: { team_id: 'no-such-team', member: { user_id: '{X}' } }, status: 404, type: NF },
  { name: 'unknown user_id', method: 'POST', path: '/team/member_add', body: { team_id: '{T}', member: { user_id: 'nobody-here' } }, status: 404, type: NF, message: /nobody-here/ },
  { name: 'unknown role', method: 'POST', path: '/team/member_add', body: { team_id: '{T}', member: { user_id: '{X}', role: 'owner' } }, status: 400, type: BAD },
  { name: 'invalid email', method: 'POST', path: '/team/member_add', body: { team_id: '{T}', member: { user_email: 'not-an-email' } }, status: 400, type: BAD },
  { name: 'negative max_budget_in_team', method: 'POST', path: '/team/member_add', body: { team_id: '{T}', member: { user_id: '{X}' }, max_budget_in_team: -1 }, status: 400, type: BAD, param: 'max_budget_in_team' },
  { name: 'user already in team', method: 'POST', path: '/team/member_add', body: { team_id: '{T}', member: { user_id: '{M}' } }, status: 400, type: 'team_member_already_in_team', message: /already in team/ },
  { name: 'user already in team, by email', method: 'POST', path: '/team/member_add', body: { team_id: '{T}', member: { user_email: '{M_EMAIL}' } }, status: 400, type: 'team_member_already_in_team', message: /already in team/ },
  { name: 'a new member and one already in team', method: 'POST', path: '/team/member_add', body: { team_id: '{T}', member: [{ user_id: '{X}' }, { user_id: '{M}' }] }, status: 400, type: 'team_member_already_in_team', message: /already in team/ },
  { name: 'a new member and an unknown user_id', method: 'POST', path: '/team/member_add', body: { team_id: '{T}', member: [{ user_id: '{X}' }, { user_id: 'nobody-here' }] }, status: 404, type: NF },
  { name: 'a new email and an unknown user_id', method: 'POST', path: '/team/member_add', body: { team_id: '{T}', member: [{ user_email: 'brand-new@example.com' }, { user_id: 'nobody-here' }] }, status: 404, type: NF },
  { name: 'the same new user twice', method: 'POST', path: '/team/member_add', body: { team_id: '{T}', member: [{ user_id: '{X}' }, { user_id: '{X}' }] }, status: 400, type: BAD, message: /more than once/ },
  { name: 'the same new email twice, in two spellings', method: 'POST', path: '/team/member_add', body: { team_id: '{T}', member: [{ user_email: 'twice@example.com' }, { user_email: 'TWICE@example.com' }] }, status: 400, type: BAD },
  // ---- POST /team/member_delete
  { name: 'no body', method: 'POST', path: '/team/member_delete', ...NO_BODY, status: 400, type: BAD },
  { name: 'neither user_id nor user_email', method: 'POST', path: '/team/member_delete', body: { team_id: '{T}' }, status: 400, type: BAD },
  { name: 'unknown team', method: 'POST', path: '/team/member_delete', body: { team_id: 'no-such-team', user_id: '{M}' }, status: 404, type: NF },
  { name: 'unknown user', method: 'POST', path: '/team/member_delete', body: { team_id: '{T}', user_id: 'nobody-here' }, status: 404, type: NF },
  { name: 'a user not in the team', method: 'POST', path: '/team/member_delete', body: { team_id: '{T}', user_id: '{X}' }, status: 404, type: NF },
  // ---- POST /team/member_update
  { name: 'no body', method: 'POST', path: '/team/member_update', ...NO_BODY, status: 400, type: BAD },
  { name: 'unknown role', method: 'POST', path: '/team/member_update', body: { team_id: '{T}', user_id: '{M}', role: 'owner' }, status: 400, type: BAD, param: 'role' },
  { name: 'negative max_budget_in_team', method: 'POST', path: '/team/member_update', body: { team_id: '{T}', user_id: '{M}', max_budget_in_team: -3 }, status: 400, type: BAD, param: 'max_budget_in_team' },
  { name: 'unknown team', method: 'POST', path: '/team/member_update', body: { team_id: 'no-such-team', user_id: '{M}', role: 'admin' }, status: 404, type: NF },
  { name: 'a user not in the team', method: 'POST', path: '/team/member_update', body: { team_id: '{T}', user_id: '{X}', role: 'admin' }, status: 404, type: NF },
  { name: 'unknown user', method: 'POST', path: '/team/member_update', body: { team_id: '{T}', user_id: 'nobody-here', role: 'admin' }, status: 404, type: NF },
  // ---- GET /team/permissions_list
  { name: 'no team_id', method: 'GET', path: '/team/permissions_list', status: 400, type: BAD, param: 'team_id' },
  { name: 'unknown team', method: 'GET', path: '/team/permissions_list?team_id=no-such-team', status: 404, type: NF },
  // ---- POST /team/permissions_update
  { name: 'no body', method: 'POST', path: '/team/permissions_update', ...NO_BODY, status: 400, type: BAD },
  { name: 'no permissions', method: 'POST', path: '/team/permissions_update', body: { team_id: '{T}' }, status: 400, type: BAD, param: 'team_member_permissions' },
  { name: 'permissions a string', method: 'POST', path: '/team/permissions_update', body: { team_id: '{T}', team_member_permissions: '/key/generate' }, status: 400, type: BAD },
  { name: 'unknown permission', method: 'POST', path: '/team/permissions_update', body: { team_id: '{T}', team_member_permissions: ['/key/generate', '/team/delete'] }, status: 400, type: BAD, param: 'team_member_permissions.1' },
  { name: 'unknown team', method: 'POST', path: '/team/permissions_update', body: { team_id: 'no-such-team', team_member_permissions: ['/key/generate'] }, status: 404, type: NF },
  // ---- POST /key/generate
  { name: 'no body', method: 'POST', path: '/key/generate', ...NO_BODY, status: 400, type: BAD },
  { name: 'form body', method: 'POST', path: '/key/generate', raw: 'user_id=x', contentType: 'application/x-www-form-urlencoded', status: 400, type: BAD },
  { name: 'malformed JSON', method: 'POST', path: '/key/generate', ...NOT_JSON, status: 400, type: BAD },
  { name: 'models a string', method: 'POST', path: '/key/generate', body: { user_id: '{X}', models: 'gpt-4o' }, status: 400, type: BAD, param: 'models' },
  { name: 'max_budget a string', method: 'POST', path: '/key/generate', body: { user_id: '{X}', max_budget: '5' }, status: 400, type: BAD, param: 'max_budget' },
  { name: 'metadata a string', method: 'POST', path: '/key/generate', body: { user_id: '{X}', metadata: 'x' }, status: 400, type: BAD, param: 'metadata' },
  { name: 'negative max_budget', method: 'POST', path: '/key/generate', body: { user_id: '{X}', max_budget: -1 }, status: 400, type: BAD, param: 'max_budget' },
  { name: 'negative soft_budget', method: 'POST', path: '/key/generate', body: { user_id: '{X}', soft_budget: -1 }, status: 400, type: BAD, param: 'soft_budget' },
  { name: 'fractional rpm_limit', method: 'POST', path: '/key/generate', body: { user_id: '{X}', rpm_limit: 1.5 }, status: 400, type: BAD, param: 'rpm_limit' },
  { name: "duration '5y'", method: 'POST', path: '/key/generate', body: { user_id: '{X}', duration: '5y' }, status: 400, type: BAD, param: 'duration' },
  { name: "budget_duration '5y'", method: 'POST', path: '/key/generate', body: { user_id: '{X}', budget_duration: '5y' }, status: 400, type: BAD, param: 'budget_duration' },
  { name: 'custom key without sk-', method: 'POST', path: '/key/generate', body: { user_id: '{X}', key: 'pk-0123456789abcdefghijkl' }, status: 400, type: BAD, param: 'key' },
  { name: 'custom key already used', method: 'POST', path: '/key/generate', body: { user_id: '{X}', key: '{K}' }, status: 400, type: BAD, param: 'key' },
  { name: 'unknown team_id', method: 'POST', path: '/key/generate', body: { user_id: '{M}', team_id: 'no-such-team' }, status: 404, type: NF, param: 'team_id' },
  { name: 'unknown user_id', method: 'POST', path: '/key/generate', body: { user_id: 'nobody-here' }, status: 404, type: NF, param: 'user_id' },
  { name: 'a user not in the team', method: 'POST', path: '/key/generate', body: { user_id: '{X}', team_id: '{T}' }, status: 403 },
  { name: 'duplicate key_alias', method: 'POST', path: '/key/generate', body: { user_id: '{X}', key_alias: 'existing-alias' }, status: 409, type: BAD, param: 'key_alias', message: /already exists/ },
  { name: 'duplicate key_alias with spaces', method: 'POST', path: '/key/generate', body: { user_id: '{X}', key_alias: '  existing-alias ' }, status: 409, type: BAD, param: 'key_alias' },
  { name: 'model outside the team', method: 'POST', path: '/key/generate', body: { user_id: '{M}', team_id: '{T}', models: ['o1'] }, status: 400, type: BAD, param: 'models' },
  // ---- GET /key/info
  { name: 'a key that does not exist', method: 'GET', path: '/key/info?key={MISSING_KEY}', status: 404, type: NF },
  { name: 'a token hash that does not exist', method: 'GET', path: `/key/info?key=${'0'.repeat(64)}`, status: 404, type: NF },
  { name: 'a malformed key ref', method: 'GET', path: '/key/info?key=not-a-key', status: 400, type: BAD, param: 'key' },
  { name: 'a too short hash', method: 'GET', path: '/key/info?key=abc123', status: 400, type: BAD, param: 'key' },
  { name: 'no key, called with the master key', method: 'GET', path: '/key/info', status: 400, type: BAD, param: 'key' },
  // ---- GET /key/list
  { name: 'size 101', method: 'GET', path: '/key/list?size=101', status: 400, type: BAD, param: 'size' },
  { name: 'size 0', method: 'GET', path: '/key/list?size=0', status: 400, type: BAD, param: 'size' },
  { name: 'page 0', method: 'GET', path: '/key/list?page=0', status: 400, type: BAD, param: 'page' },
  { name: 'size not a number', method: 'GET', path: '/key/list?size=ten', status: 400, type: BAD, param: 'size' },
  { name: 'return_full_object maybe', method: 'GET', path: '/key/list?return_full_object=maybe', status: 400, type: BAD, param: 'return_full_object' },
  { name: 'user page_size 101 (/user/list)', method: 'GET', path: '/user/list?page_size=101', status: 400, type: BAD, param: 'page_size' },
  // ---- POST /key/update
  { name: 'no body', method: 'POST', path: '/key/update', ...NO_BODY, status: 400, type: BAD },
  { name: 'no key', method: 'POST', path: '/key/update', body: { max_budget: 1 }, status: 400, type: BAD, param: 'key' },
  { name: 'a key that does not exist', method: 'POST', path: '/key/update', body: { key: '{MISSING_KEY}', max_budget: 1 }, status: 404, type: NF },
  { name: 'a malformed key ref', method: 'POST', path: '/key/update', body: { key: 'nope', max_budget: 1 }, status: 400, type: BAD, param: 'key' },
  { name: 'negative max_budget', method: 'POST', path: '/key/update', body: { key: '{K}', max_budget: -1 }, status: 400, type: BAD, param: 'max_budget' },
  { name: "budget_duration '5y'", method: 'POST', path: '/key/update', body: { key: '{K}', budget_duration: '5y' }, status: 400, type: BAD, param: 'budget_duration' },
  { name: 'blocked a string', method: 'POST', path: '/key/update', body: { key: '{K}', blocked: 'true' }, status: 400, type: BAD, param: 'blocked' },
  { name: "another key's alias", method: 'POST', path: '/key/update', body: { key: '{K2}', key_alias: 'existing-alias', max_budget: 1 }, status: 409, type: BAD, param: 'key_alias' },
  { name: 'moved to an unknown team', method: 'POST', path: '/key/update', body: { key: '{K}', team_id: 'no-such-team' }, status: 404, type: NF },
  { name: 'moved to an unknown user', method: 'POST', path: '/key/update', body: { key: '{K}', user_id: 'nobody-here' }, status: 404, type: NF },
  { name: 'moved to a team its owner is not in', method: 'POST', path: '/key/update', body: { key: '{K}', team_id: '{T2}' }, status: 403 },
  // ---- POST /key/delete
  { name: 'no body', method: 'POST', path: '/key/delete', ...NO_BODY, status: 400, type: BAD },
  { name: 'nothing named', method: 'POST', path: '/key/delete', body: {}, status: 400, type: BAD, param: 'keys' },
  { name: 'empty lists', method: 'POST', path: '/key/delete', body: { keys: [], key_aliases: [] }, status: 400, type: BAD },
  { name: 'keys a string', method: 'POST', path: '/key/delete', body: { keys: '{K}' }, status: 400, type: BAD, param: 'keys' },
  { name: 'a key that does not exist', method: 'POST', path: '/key/delete', body: { keys: ['{MISSING_KEY}'] }, status: 404, type: NF },
  { name: 'a known and an unknown key', method: 'POST', path: '/key/delete', body: { keys: ['{K}', '{MISSING_KEY}'] }, status: 404, type: NF },
  { name: 'a known key and an unknown alias', method: 'POST', path: '/key/delete', body: { keys: ['{K}'], key_aliases: ['no-such-alias'] }, status: 404, type: NF },
  { name: 'a malformed key ref', method: 'POST', path: '/key/delete', body: { keys: ['{K}', 'garbage'] }, status: 400, type: BAD },
  // ---- POST /key/regenerate and /key/{key}/regenerate
  { name: 'no body', method: 'POST', path: '/key/regenerate', ...NO_BODY, status: 400, type: BAD },
  { name: 'no key', method: 'POST', path: '/key/regenerate', body: {}, status: 400, type: BAD, param: 'key' },
  { name: 'a key that does not exist', method: 'POST', path: '/key/regenerate', body: { key: '{MISSING_KEY}' }, status: 404, type: NF },
  { name: 'a malformed key ref', method: 'POST', path: '/key/regenerate', body: { key: 'garbage' }, status: 400, type: BAD, param: 'key' },
  { name: 'negative max_budget', method: 'POST', path: '/key/regenerate', body: { key: '{K}', max_budget: -2 }, status: 400, type: BAD, param: 'max_budget' },
  { name: "duration '5y'", method: 'POST', path: '/key/regenerate', body: { key: '{K}', duration: '5y' }, status: 400, type: BAD, param: 'duration' },
  { name: 'path form, key that does not exist', method: 'POST', path: '/key/{MISSING_KEY}/regenerate', status: 404, type: NF },
  { name: 'path form, malformed key ref', method: 'POST', path: '/key/garbage/regenerate', status: 400, type: BAD },
  // ---- POST /key/block, /key/unblock
  { name: 'no body', method: 'POST', path: '/key/block', ...NO_BODY, status: 400, type: BAD },
  { name: 'no key', method: 'POST', path: '/key/block', body: {}, status: 400, type: BAD, param: 'key' },
  { name: 'a key that does not exist', method: 'POST', path: '/key/block', body: { key: '{MISSING_KEY}' }, status: 404, type: NF },
  { name: 'a malformed key ref', method: 'POST', path: '/key/block', body: { key: 'garbage' }, status: 400, type: BAD, param: 'key' },
  { name: 'no body', method: 'POST', path: '/key/unblock', ...NO_BODY, status: 400, type: BAD },
  { name: 'a key that does not exist', method: 'POST', path: '/key/unblock', body: { key: '{MISSING_KEY}' }, status: 404, type: NF },
  { name: 'a malformed key ref', method: 'POST', path: '/key/unblock', body: { key: 'garbage' }, status: 400, type: BAD, param: 'key' },
  // ---- PATCH /update/internal_user_settings
  { name: 'no body', method: 'PATCH', path: '/update/internal_user_settings', ...NO_BODY, status: 400, type: BAD },
  { name: 'malformed JSON', method: 'PATCH', path: '/update/internal_user_settings', ...NOT_JSON, status: 400, type: BAD },
  { name: 'an unknown default team', method: 'PATCH', path: '/update/internal_user_settings', body: { teams: ['no-such-team'] }, status: 404, type: NF, message: /no-such-team/ },
  { name: 'a known and an unknown default team', method: 'PATCH', path: '/update/internal_user_settings', body: { teams: ['{T}', { team_id: 'no-such-team' }], max_budget: 1 }, status: 404, type: NF },
  { name: 'user_role proxy_admin', method: 'PATCH', path: '/update/internal_user_settings', body: { user_role: 'proxy_admin' }, status: 400, type: BAD, param: 'user_role' },
  { name: 'user_role proxy_admin_viewer', method: 'PATCH', path: '/update/internal_user_settings', body: { user_role: 'proxy_admin_viewer', max_budget: 1 }, status: 400, type: BAD, param: 'user_role' },
  { name: 'unknown user_role', method: 'PATCH', path: '/update/internal_user_settings', body: { user_role: 'superuser' }, status: 400, type: BAD, param: 'user_role' },
  { name: 'negative max_budget', method: 'PATCH', path: '/update/internal_user_settings', body: { max_budget: -1 }, status: 400, type: BAD, param: 'max_budget' },
  { name: "budget_duration '5y'", method: 'PATCH', path: '/update/internal_user_settings', body: { budget_duration: '5y' }, status: 400, type: BAD, param: 'budget_duration' },
  { name: 'models a string', method: 'PATCH', path: '/update/internal_user_settings', body: { models: 'gpt-4o' }, status: 400, type: BAD, param: 'models' },
  { name: 'unknown team role', method: 'PATCH', path: '/update/internal_user_settings', body: { teams: [{ team_id: '{T}', user_role: 'owner' }] }, status: 400, type: BAD },
  { name: 'negative max_budget_in_team', method: 'PATCH', path: '/update/internal_user_settings', body: { teams: [{ team_id: '{T}', max_budget_in_team: -1 }] }, status: 400, type: BAD },
];

let s: TestStack;
const fx: Record<string, string> = {};

const fill = (text: string) => text.replace(/\{([A-Z0-9_]+)\}/g, (m, name: string) => fx[name] ?? m);

/** Sends exactly the given bytes (or nothing) as the master key. */
async function send(c: Case): Promise<Reply> {
  const path = fill(c.path);
  if ('raw' in c || c.contentType !== undefined) {
    const headers: Record<string, string> = { authorization: `Bearer ${MASTER_KEY}` };
    if (c.contentType) headers['content-type'] = c.contentType;
    const res = await s.app.request(`http://onramp.test${path}`, { method: c.method, headers, body: c.raw === undefined ? undefined : fill(c.raw) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* keep text */
    }
    return { status: res.status, body, headers: res.headers };
  }
  const body = c.body === undefined ? undefined : JSON.parse(fill(JSON.stringify(c.body)));
  return s.call(c.method, path, { body });
}

function ok(r: Reply, what: string) {
  if (r.status !== 200) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Everything the routes under test could write, read back through the API. */
async function snapshot() {
  const [teams, keys, users, settings, ...infos] = await Promise.all([
    s.call('GET', '/team/list'),
    s.call('GET', '/key/list?size=100&return_full_object=true'),
    s.call('GET', '/user/list?page_size=100'),
    s.call('GET', '/get/internal_user_settings'),
    s.call('GET', `/team/info?team_id=${fx.T}`),
    s.call('GET', `/team/info?team_id=${fx.T2}`),
  ]);
  for (const r of [teams, keys, users, settings, ...infos]) ok(r, 'snapshot');
  expect(keys.body.total_count).toBeLessThan(100);
  expect(users.body.total).toBeLessThan(100);
  return { teams: teams.body, keys: keys.body, users: users.body, settings: settings.body, infos: infos.map((i) => i.body) };
}

/**
 * Registers, in the calling test file, the fixtures and the tests of the cases `only`
 * keeps (each resource's error.test.ts takes the cases of its own routes).
 */
export function badInputSuite(only: (c: Case) => boolean) {
  const CASES = ALL_CASES.filter(only);

  beforeAll(async () => {
    s = await testStack();
    const m = ok(await s.call('POST', '/user/new', { body: { user_email: `member-${randomUUID().slice(0, 8)}@example.com` } }), 'member');
    fx.M = m.user_id;
    fx.M_EMAIL = m.user_email;
    fx.X = ok(await s.call('POST', '/user/new', { body: { user_email: `loner-${randomUUID().slice(0, 8)}@example.com` } }), 'loner').user_id;
    fx.T = ok(
      await s.call('POST', '/team/new', {
        body: { team_alias: 'Research Team', models: ['gpt-4o'], max_budget: 100, budget_duration: '1mo', team_member_budget: 10, members_with_roles: [{ user_id: fx.M, role: 'user' }] },
      }),
      'team',
    ).team_id;
    fx.T2 = ok(await s.call('POST', '/team/new', { body: { team_alias: 'Second Team' } }), 'team 2').team_id;
    const k = ok(await s.call('POST', '/key/generate', { body: { user_id: fx.M, team_id: fx.T, key_alias: 'existing-alias', models: ['gpt-4o'], max_budget: 5 } }), 'key');
    fx.K = k.key;
    fx.KH = k.token;
    fx.K2 = ok(await s.call('POST', '/key/generate', { body: { user_id: fx.X, key_alias: 'second-alias' } }), 'key 2').key;
    fx.MISSING_KEY = `sk-${'A'.repeat(43)}`;
    ok(await s.call('PATCH', '/update/internal_user_settings', { body: { teams: [fx.T2], max_budget: 25, budget_duration: '1mo', models: ['gpt-4o'] } }), 'settings');
  });

  test('case names are unique per route', () => {
    const names = CASES.map((c) => `${c.method} ${c.path} ${c.name}`);
    expect(new Set(names).size).toBe(names.length);
  });

  test.each(CASES)('$method $path: $name → $status', async (c) => {
    const before = await snapshot();
    const reply = await send(c);
    const err = expectError(reply, c.status, c.type);
    if (c.param !== undefined) expect(err.param).toBe(c.param);
    if (c.message) expect(err.message).toMatch(c.message);
    expect(await snapshot()).toEqual(before);
  });

  test('anonymous bad input is refused (400 or 401) and writes nothing', async () => {
    const before = await snapshot();
    for (const c of CASES.filter((x) => x.method !== 'GET')) {
      const path = fill(c.path);
      const body = c.raw !== undefined ? fill(c.raw) : c.body !== undefined ? fill(JSON.stringify(c.body)) : undefined;
      const headers: Record<string, string> = c.contentType === null ? {} : { 'content-type': c.contentType ?? 'application/json' };
      const res = await s.app.request(`http://onramp.test${path}`, { method: c.method, headers, body });
      expect([400, 401]).toContain(res.status);
    }
    expect(await snapshot()).toEqual(before);
  });

  test('the fixtures are intact after every bad request', async () => {
    const team = ok(await s.call('GET', `/team/info?team_id=${fx.T}`), 'info');
    expect(team.team_info).toMatchObject({ team_alias: 'Research Team', models: ['gpt-4o'], max_budget: 100, team_member_budget: 10 });
    expect(team.team_info.members_with_roles).toEqual([expect.objectContaining({ user_id: fx.M, role: 'user' })]);
    expect(team.keys.map((k: any) => k.token)).toEqual([fx.KH]);
    const key = ok(await s.call('GET', `/key/info?key=${fx.KH}`), 'key').info;
    expect(key).toMatchObject({ key_alias: 'existing-alias', max_budget: 5, blocked: false, team_id: fx.T, user_id: fx.M });
    expect(ok(await s.call('GET', '/get/internal_user_settings'), 'settings').values).toMatchObject({ max_budget: 25, models: ['gpt-4o'], teams: [{ team_id: fx.T2 }] });
  });
}
