import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { DomainError } from '../core/errors';
import type { IndexName, ItemKey } from './keys';

type Values = Record<string, unknown>;

/** DynamoDB's limit on the operations of one transaction. */
export const MAX_TRANSACTION_OPS = 100;
type Names = Record<string, string>;

/**
 * A named condition: the expression DynamoDB checks, and the domain error it means
 * when it fails. Conditions live with the repository that writes, never in handlers.
 */
export type Condition = {
  expression: string;
  names?: Names;
  values?: Values;
  /** Built lazily so the error can describe the item that was there (ALL_OLD). */
  onFail: (existing: Record<string, unknown> | undefined) => DomainError;
};

export type Update = {
  /** e.g. "SET #a = :a, updated_at = :now REMOVE #b" */
  expression: string;
  names?: Names;
  values?: Values;
  condition?: Condition;
};

export type TransactOp =
  | { put: Record<string, unknown>; condition?: Condition }
  | { update: ItemKey; change: Update }
  | { delete: ItemKey; condition?: Condition }
  | { check: ItemKey; condition: Condition };

export type QueryInput = {
  index?: IndexName;
  pk: string;
  /** begins_with on the sort key */
  skPrefix?: string;
  /** sort key <= value */
  skAtMost?: string;
  limit?: number;
  cursor?: Record<string, unknown>;
  newestFirst?: boolean;
};

/** Adds `attribute_exists(PK)` so updates never create items by accident. */
export const mustExist = (onFail: Condition['onFail']): Condition => ({ expression: 'attribute_exists(PK)', onFail });
export const mustNotExist = (onFail: Condition['onFail']): Condition => ({ expression: 'attribute_not_exists(PK)', onFail });

export function createDocumentClient(opts: { region: string; endpoint?: string }): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: opts.region,
    ...(opts.endpoint
      ? { endpoint: opts.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * The only place that talks to DynamoDB. Turns SDK condition failures into the
 * domain error their condition names, and never leaks SDK errors upward for them.
 */
export class Table {
  constructor(
    readonly doc: DynamoDBDocumentClient,
    readonly name: string,
  ) {}

  async get<T>(key: ItemKey, consistent = true): Promise<T | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.name, Key: key, ConsistentRead: consistent }));
    return out.Item as T | undefined;
  }

  /** The item, or the domain error `missing` names (a 404 for the caller). */
  async require<T>(key: ItemKey, missing: () => DomainError): Promise<T> {
    const item = await this.get<T>(key);
    if (item === undefined) throw missing();
    return item;
  }

  async batchGet<T>(keyList: ItemKey[]): Promise<T[]> {
    const found: T[] = [];
    for (let i = 0; i < keyList.length; i += 100) {
      let request: Record<string, { Keys: ItemKey[]; ConsistentRead?: boolean }> | undefined = {
        [this.name]: { Keys: dedupe(keyList.slice(i, i + 100)), ConsistentRead: true },
      };
      while (request && Object.keys(request).length > 0) {
        const out = await this.doc.send(new BatchGetCommand({ RequestItems: request }));
        found.push(...((out.Responses?.[this.name] ?? []) as T[]));
        request = out.UnprocessedKeys as typeof request;
      }
    }
    return found;
  }

  async put(item: Record<string, unknown>, condition?: Condition): Promise<void> {
    await this.guard(condition, () =>
      this.doc.send(
        new PutCommand({
          TableName: this.name,
          Item: item,
          ...conditionParams(condition),
          ReturnValuesOnConditionCheckFailure: condition ? 'ALL_OLD' : undefined,
        }),
      ),
    );
  }

  /** Applies an update and returns the item as it is afterwards. */
  async update<T>(key: ItemKey, change: Update): Promise<T> {
    const out = await this.guard(change.condition, () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.name,
          Key: key,
          UpdateExpression: change.expression,
          ...mergedParams(change),
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: change.condition ? 'ALL_OLD' : undefined,
        }),
      ),
    );
    return out.Attributes as T;
  }

  async delete(key: ItemKey, condition?: Condition): Promise<void> {
    await this.guard(condition, () =>
      this.doc.send(
        new DeleteCommand({
          TableName: this.name,
          Key: key,
          ...conditionParams(condition),
          ReturnValuesOnConditionCheckFailure: condition ? 'ALL_OLD' : undefined,
        }),
      ),
    );
  }

  /** All-or-nothing write of up to 100 operations. */
  async transact(ops: TransactOp[]): Promise<void> {
    if (ops.length === 0) return;
    if (ops.length > MAX_TRANSACTION_OPS) throw new Error(`a transaction holds at most ${MAX_TRANSACTION_OPS} operations, got ${ops.length}`);
    const TransactItems: NonNullable<TransactWriteCommandInput['TransactItems']> = ops.map((op) => {
      if ('put' in op) {
        return { Put: { TableName: this.name, Item: op.put, ...conditionParams(op.condition), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } };
      }
      if ('update' in op) {
        return {
          Update: {
            TableName: this.name,
            Key: op.update,
            UpdateExpression: op.change.expression,
            ...mergedParams(op.change),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        };
      }
      if ('delete' in op) {
        return { Delete: { TableName: this.name, Key: op.delete, ...conditionParams(op.condition), ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } };
      }
      return {
        ConditionCheck: {
          TableName: this.name,
          Key: op.check,
          ConditionExpression: op.condition.expression,
          ExpressionAttributeNames: op.condition.names,
          ExpressionAttributeValues: op.condition.values,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      };
    });
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems }));
    } catch (err) {
      if (err instanceof TransactionCanceledException) {
        const reasons = err.CancellationReasons ?? [];
        for (const [i, reason] of reasons.entries()) {
          if (reason.Code !== 'ConditionalCheckFailed') continue;
          const op = ops[i]!;
          const condition = 'change' in op ? op.change.condition : op.condition;
          if (condition) throw condition.onFail(unmarshallLoose(reason.Item));
        }
        if (reasons.some((r) => r.Code === 'TransactionConflict')) {
          throw new TransactionConflictError(err);
        }
      }
      throw err;
    }
  }

  async query<T>(input: QueryInput): Promise<{ items: T[]; cursor?: Record<string, unknown> }> {
    const pkName = input.index ? `${input.index}PK` : 'PK';
    const skName = input.index ? `${input.index}SK` : 'SK';
    let keyCondition = '#pk = :pk';
    const names: Names = { '#pk': pkName };
    const values: Values = { ':pk': input.pk };
    if (input.skPrefix !== undefined) {
      keyCondition += ' AND begins_with(#sk, :sk)';
      names['#sk'] = skName;
      values[':sk'] = input.skPrefix;
    } else if (input.skAtMost !== undefined) {
      keyCondition += ' AND #sk <= :sk';
      names['#sk'] = skName;
      values[':sk'] = input.skAtMost;
    }
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.name,
        IndexName: input.index,
        KeyConditionExpression: keyCondition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        Limit: input.limit,
        ExclusiveStartKey: input.cursor,
        ScanIndexForward: !input.newestFirst,
      }),
    );
    return { items: (out.Items ?? []) as T[], cursor: out.LastEvaluatedKey };
  }

  /**
   * Every page of a Query, one at a time (`limit` is the page size): the next page is
   * read only once the caller has handled this one, so a job that changes what it
   * reads (a due item moved on) sees each page as it is then.
   */
  async *pages<T>(input: Omit<QueryInput, 'cursor'>): AsyncGenerator<T[]> {
    let cursor: Record<string, unknown> | undefined;
    do {
      const page: { items: T[]; cursor?: Record<string, unknown> } = await this.query<T>({ ...input, cursor });
      yield page.items;
      cursor = page.cursor;
    } while (cursor);
  }

  /** Follows every page of a Query: for bounded collections (a team's members, a user's keys). */
  async queryAll<T>(input: Omit<QueryInput, 'cursor' | 'limit'>): Promise<T[]> {
    const all: T[] = [];
    for await (const items of this.pages<T>(input)) all.push(...items);
    return all;
  }

  /**
   * Writes a list of operations longer than one transaction allows, in order, in
   * transactions of at most `size`. All or nothing per chunk only: callers order the
   * list so that a run interrupted half-way is finished by running it again.
   */
  async transactInChunks(ops: TransactOp[], size = MAX_TRANSACTION_OPS): Promise<void> {
    if (!(size >= 1 && size <= MAX_TRANSACTION_OPS)) throw new Error(`a chunk holds 1 to ${MAX_TRANSACTION_OPS} operations, got ${size}`);
    for (let i = 0; i < ops.length; i += size) await this.transact(ops.slice(i, i + size));
  }

  private async guard<R>(condition: Condition | undefined, run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (err) {
      if (condition && err instanceof ConditionalCheckFailedException) {
        throw condition.onFail(unmarshallLoose(err.Item));
      }
      throw err;
    }
  }
}

/** Two writers raced on the same items; the caller may retry. */
export class TransactionConflictError extends Error {
  constructor(cause: unknown) {
    super('the write conflicted with a concurrent transaction', { cause });
    this.name = 'TransactionConflictError';
  }
}

export type RetryOptions = {
  /** Tries in all, the first included (default 5). */
  attempts?: number;
  /** Other failures that mean "read again and retry", e.g. a condition on an item that moved meanwhile. */
  retryAlso?: (err: unknown) => boolean;
  /** What the caller gets when every try failed so (default: the last failure itself). */
  exhausted?: (err: unknown) => Error;
  /** The wait before try n+1 is random in [0, backoffMs × n) (default 20 ms). */
  backoffMs?: number;
  /** How to wait (tests pass one that records instead). */
  sleep?: (ms: number) => Promise<void>;
};

/**
 * Runs `attempt` again when it lost a race: DynamoDB cancels a transaction that
 * touches an item another one is writing, and the retry (which reads afresh) then
 * succeeds or fails its condition with the real reason. Bounded, with jittered
 * backoff so that the racers do not collide again in step.
 */
export async function retryOnConflict<T>(attempt: (n: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 5;
  const backoffMs = opts.backoffMs ?? 20;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!(err instanceof TransactionConflictError || opts.retryAlso?.(err))) throw err;
      if (n >= attempts) throw opts.exhausted ? opts.exhausted(err) : err;
      await sleep(Math.random() * backoffMs * n);
    }
  }
}

function conditionParams(condition: Condition | undefined) {
  if (!condition) return {};
  return {
    ConditionExpression: condition.expression,
    ...(condition.names ? { ExpressionAttributeNames: condition.names } : {}),
    ...(condition.values ? { ExpressionAttributeValues: condition.values } : {}),
  };
}

function mergedParams(change: Update) {
  const names = { ...change.names, ...change.condition?.names };
  const values = { ...change.values, ...change.condition?.values };
  return {
    ...(change.condition ? { ConditionExpression: change.condition.expression } : {}),
    ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
    ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
  };
}

function dedupe(list: ItemKey[]): ItemKey[] {
  const seen = new Set<string>();
  return list.filter((k) => {
    const id = `${k.PK}\u0000${k.SK}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** Old items on condition failures come back as raw AttributeValues: the document client does not unmarshall exceptions. */
function unmarshallLoose(item: Record<string, AttributeValue> | undefined): Record<string, unknown> | undefined {
  return item ? unmarshall(item) : undefined;
}
