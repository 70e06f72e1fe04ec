/**
 * `retryOnConflict` (shared/db/table.ts): a write that lost a race is tried again,
 * a bounded number of times, with jittered backoff; nothing else is retried.
 * DynamoDB-free: the attempts throw the errors themselves, and waits are recorded.
 */
import { retryOnConflict, TransactionConflictError } from '../../shared/db/table';
import { DomainError } from '../../shared/core/errors';

const conflict = () => new TransactionConflictError(new Error('TransactionConflict'));

/** An attempt that fails with the given errors in turn, then answers `done`. */
function failing(...errors: Error[]) {
  const tries: number[] = [];
  const attempt = async (n: number) => {
    tries.push(n);
    const err = errors[n - 1];
    if (err) throw err;
    return 'done';
  };
  return { attempt, tries };
}

function recordedSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

test('an attempt that succeeds at once is run once and never waits', async () => {
  const { attempt, tries } = failing();
  const { waits, sleep } = recordedSleep();
  await expect(retryOnConflict(attempt, { sleep })).resolves.toBe('done');
  expect(tries).toEqual([1]);
  expect(waits).toEqual([]);
});

test('a transaction conflict is retried until the attempt succeeds, each try numbered', async () => {
  const { attempt, tries } = failing(conflict(), conflict());
  const { waits, sleep } = recordedSleep();
  await expect(retryOnConflict(attempt, { sleep })).resolves.toBe('done');
  expect(tries).toEqual([1, 2, 3]);
  expect(waits).toHaveLength(2);
});

test('after `attempts` conflicts the last conflict is thrown (by default) and nothing more is tried', async () => {
  const last = conflict();
  const { attempt, tries } = failing(conflict(), conflict(), last, conflict());
  const { sleep } = recordedSleep();
  await expect(retryOnConflict(attempt, { attempts: 3, sleep })).rejects.toBe(last);
  expect(tries).toEqual([1, 2, 3]);
});

test('the default bound is 5 tries', async () => {
  const { attempt, tries } = failing(...Array.from({ length: 10 }, conflict));
  const { sleep } = recordedSleep();
  await expect(retryOnConflict(attempt, { sleep })).rejects.toBeInstanceOf(TransactionConflictError);
  expect(tries).toEqual([1, 2, 3, 4, 5]);
});

test('`exhausted` turns the last failure into the error the caller shows', async () => {
  const { attempt } = failing(conflict(), conflict());
  const { sleep } = recordedSleep();
  const shown = new DomainError('rate_limited', 'busy, retry shortly');
  await expect(retryOnConflict(attempt, { attempts: 2, sleep, exhausted: () => shown })).rejects.toBe(shown);
});

test('any other failure is thrown at once, without a retry or a wait', async () => {
  const refused = new DomainError('not_found', 'gone');
  const { attempt, tries } = failing(refused);
  const { waits, sleep } = recordedSleep();
  await expect(retryOnConflict(attempt, { sleep, exhausted: () => new Error('not this') })).rejects.toBe(refused);
  expect(tries).toEqual([1]);
  expect(waits).toEqual([]);
});

test('`retryAlso` names further failures that mean "read again and retry"', async () => {
  class Moved extends Error {}
  const { attempt, tries } = failing(new Moved(), conflict(), new Moved());
  const { sleep } = recordedSleep();
  await expect(retryOnConflict(attempt, { sleep, retryAlso: (err) => err instanceof Moved })).resolves.toBe('done');
  expect(tries).toEqual([1, 2, 3, 4]);
});

test('the waits are jittered and grow with the try: random in [0, backoffMs × n)', async () => {
  const { attempt } = failing(...Array.from({ length: 40 }, conflict));
  const { waits, sleep } = recordedSleep();
  await expect(retryOnConflict(attempt, { attempts: 40, backoffMs: 10, sleep })).rejects.toBeInstanceOf(TransactionConflictError);
  expect(waits).toHaveLength(39);
  waits.forEach((ms, i) => {
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThan(10 * (i + 1));
  });
  // Racers that wait the same time collide again: the waits must differ.
  expect(new Set(waits).size).toBeGreaterThan(30);
  // …and later tries may wait longer than any early one could.
  expect(Math.max(...waits.slice(20))).toBeGreaterThan(10 * 5);
});

test('without a sleep given, it really waits (a short backoff) and still succeeds', async () => {
  const { attempt, tries } = failing(conflict());
  await expect(retryOnConflict(attempt, { backoffMs: 1 })).resolves.toBe('done');
  expect(tries).toEqual([1, 2]);
});
