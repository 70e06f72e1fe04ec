import { randomUUID } from 'node:crypto';
import type { Reply, TestStack } from './stack';

/**
 * The API calls the life-cycle tests build their cases from, as the master key, on a
 * stack the test file makes (often with a clock it moves): each returns the answer's
 * body, or throws with the status and body when it was not a 200.
 */
export function lifecycle(stack: () => TestStack) {
  const uid = () => randomUUID().slice(0, 8);
  function ok(r: Reply, what: string) {
    if (r.status !== 200) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }
  const call = (...args: Parameters<TestStack['call']>) => stack().call(...args);
  const newUser = async (extra: Record<string, unknown> = {}) =>
    ok(await call('POST', '/user/new', { body: { user_email: `life-${uid()}@example.com`, auto_create_key: false, ...extra } }), 'user/new') as { user_id: string; user_email: string };
  const newTeam = async (body: Record<string, unknown> = {}) => ok(await call('POST', '/team/new', { body: { team_alias: `life-${uid()}`, ...body } }), 'team/new');
  const addMember = async (teamId: string, userId: string, role = 'user') =>
    ok(await call('POST', '/team/member_add', { body: { team_id: teamId, member: { user_id: userId, role } } }), 'member_add');
  const newKey = async (userId: string, teamId: string | null, extra: Record<string, unknown> = {}) => {
    const b = ok(await call('POST', '/key/generate', { body: { user_id: userId, ...(teamId ? { team_id: teamId } : {}), ...extra } }), 'key/generate');
    return { secret: b.key as string, token: b.token as string };
  };
  const keyStatus = async (token: string) => (await call('GET', `/key/info?key=${token}`)).status;
  const userInfo = async (userId: string) => ok(await call('GET', `/user/info?user_id=${userId}`), 'user/info');
  const teamInfo = async (teamId: string) => ok(await call('GET', `/team/info?team_id=${teamId}`), 'team/info');
  const memberIds = (info: any) => info.team_info.members_with_roles.map((m: any) => m.user_id).sort();
  return { uid, ok, newUser, newTeam, addMember, newKey, keyStatus, userInfo, teamInfo, memberIds };
}
