/**
 * The table helpers of shared/db against DynamoDB Local: the paging iterator
 * (`pages`, under `queryAll`), chunked transactions (`transactInChunks`) and the
 * lookups through uniqueness guards (shared/db/queries.ts).
 */
import { DomainError } from '../../shared/core/errors';
import { keys } from '../../shared/db/keys';
import { keyHashByAlias, membersOf, teamIdByAlias, userIdByEmail } from '../../shared/db/queries';
import { mustNotExist, type TransactOp } from '../../shared/db/table';
import { testStack, type TestStack } from '../support/stack';

let s: TestStack;
beforeAll(async () => {
  s = await testStack();
});

const member = (teamId: string, n: number) => ({ ...keys.member(teamId, `u${String(n).padStart(3, '0')}`), type: 'member', n });
const memberIds = async (teamId: string) => (await s.deps.table.queryAll<{ n: number }>(membersOf(teamId))).map((m) => m.n).sort((a, b) => a - b);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('pages', () => {
  test('yields every page of a Query, `limit` items at a time, in sort-key order', async () => {
    await s.deps.table.transact(range(0, 25).map((n) => ({ put: member('paged', n) })));
    const pages: number[][] = [];
    for await (const page of s.deps.table.pages<{ n: number }>({ ...membersOf('paged'), limit: 10 })) pages.push(page.map((m) => m.n));
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flat()).toEqual(range(0, 25));
    expect(await memberIds('paged')).toEqual(range(0, 25));
  });

  test('reads the next page only after the caller has handled this one', async () => {
    await s.deps.table.transact(range(0, 4).map((n) => ({ put: member('lazy', n) })));
    const seen: number[] = [];
    for await (const page of s.deps.table.pages<{ n: number }>({ ...membersOf('lazy'), limit: 2 })) {
      seen.push(...page.map((m) => m.n));
      // Written while the first page is handled, sorted after everything: a later page has it.
      if (seen.length === 2) await s.deps.table.put(member('lazy', 99));
    }
    expect(seen).toEqual([0, 1, 2, 3, 99]);
  });

  test('a Query that finds nothing yields one empty page', async () => {
    const pages: unknown[][] = [];
    for await (const page of s.deps.table.pages(membersOf('nobody'))) pages.push(page);
    expect(pages).toEqual([[]]);
  });
});

describe('transactInChunks', () => {
  test('writes a list longer than one transaction allows, all of it', async () => {
    const ops: TransactOp[] = range(0, 250).map((n) => ({ put: member('chunked', n) }));
    await expect(s.deps.table.transact(ops)).rejects.toThrow('at most 100 operations');
    await s.deps.table.transactInChunks(ops);
    expect(await memberIds('chunked')).toEqual(range(0, 250));
  });

  test('writes chunk after chunk in order: a failing chunk stops the run, the chunks before it stay written', async () => {
    await s.deps.table.put(member('halfway', 120));
    const taken = new DomainError('conflict', 'u120 is already there');
    const ops: TransactOp[] = range(0, 150).map((n) => (n === 120 ? { put: member('halfway', n), condition: mustNotExist(() => taken) } : { put: member('halfway', n) }));
    await expect(s.deps.table.transactInChunks(ops, 50)).rejects.toBe(taken);
    // Chunks 0–49 and 50–99 were written; 100–149 (all or nothing) was not, except the item already there.
    expect(await memberIds('halfway')).toEqual([...range(0, 100), 120]);
  });

  test.each([0, 101])('a chunk size of %p is refused before anything is written', async (size) => {
    await expect(s.deps.table.transactInChunks([{ put: member('refused', 1) }], size)).rejects.toThrow('a chunk holds 1 to 100 operations');
    expect(await memberIds('refused')).toEqual([]);
  });
});

describe('lookups through a uniqueness guard', () => {
  test('a user by email, a team by alias (any case) and a key by alias; undefined for what is not there', async () => {
    const user = await s.call('POST', '/user/new', { body: { user_email: 'Guarded@Example.com' } });
    const team = await s.call('POST', '/team/new', { body: { team_alias: 'Guarded-Team' } });
    const key = await s.call('POST', '/key/generate', { body: { key_alias: 'guarded-key' } });
    expect([user.status, team.status, key.status]).toEqual([200, 200, 200]);

    expect(await userIdByEmail(s.deps.table, 'guarded@example.com')).toBe(user.body.user_id);
    expect(await teamIdByAlias(s.deps.table, 'guarded-TEAM')).toBe(team.body.team_id);
    expect(await keyHashByAlias(s.deps.table, 'guarded-key')).toBe(key.body.token);

    expect(await userIdByEmail(s.deps.table, 'nobody@example.com')).toBeUndefined();
    expect(await teamIdByAlias(s.deps.table, 'no-such-team')).toBeUndefined();
    expect(await keyHashByAlias(s.deps.table, 'no-such-key')).toBeUndefined();
  });
});
