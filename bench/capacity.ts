/**
 * DynamoDB capacity units, measured: an SDK middleware on the bench's own DynamoDB
 * client asks every data call for `ReturnConsumedCapacity: 'INDEXES'` and adds up what
 * DynamoDB answers, split into reads and writes, table and indexes. Production code is
 * unchanged (it never asks). Where a call answers no ConsumedCapacity (DynamoDB Local
 * leaves it out of failed conditional writes, for one), the call is counted as
 * unreported, so a figure never silently undercounts.
 *
 * `itemSize` / `writeUnits` / `readUnits` compute units from item sizes by DynamoDB's
 * rules, for the floors the bench states and to cross-check what was measured.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export type Units = { read: number; write: number; tableRead: number; tableWrite: number; indexRead: number; indexWrite: number; calls: string[]; unreported: string[] };

export const noUnits = (): Units => ({ read: 0, write: 0, tableRead: 0, tableWrite: 0, indexRead: 0, indexWrite: 0, calls: [], unreported: [] });

const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const DATA = new Set([...READS, 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

type Consumed = { CapacityUnits?: number; Table?: { CapacityUnits?: number }; GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>; LocalSecondaryIndexes?: Record<string, { CapacityUnits?: number }> };

export type Meter = {
  /** Runs `fn` and returns what the calls made meanwhile consumed (calls overlapping from elsewhere count too). */
  measure<T>(fn: () => Promise<T>): Promise<{ result: T; units: Units }>;
};

export function installMeter(doc: DynamoDBDocumentClient): Meter {
  let current: Units | null = null;
  doc.middlewareStack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? '').replace(/Command$/, '');
      if (!current || !DATA.has(name)) return next(args);
      const into = current;
      (args.input as Record<string, unknown>).ReturnConsumedCapacity = 'INDEXES';
      const out = await next(args);
      into.calls.push(name);
      const consumed = (out.output as { ConsumedCapacity?: Consumed | Consumed[] }).ConsumedCapacity;
      const list = consumed === undefined ? [] : [consumed].flat();
      if (list.length === 0) into.unreported.push(name);
      const isRead = READS.has(name);
      for (const c of list) {
        const total = Number(c.CapacityUnits ?? 0);
        const table = Number(c.Table?.CapacityUnits ?? (c.GlobalSecondaryIndexes || c.LocalSecondaryIndexes ? 0 : total));
        const indexes = total - table;
        if (isRead) {
          into.read += total;
          into.tableRead += table;
          into.indexRead += indexes;
        } else {
          into.write += total;
          into.tableWrite += table;
          into.indexWrite += indexes;
        }
      }
      return out;
    },
    // Outermost, so the request is changed before anything else sees it, once per command.
    { step: 'initialize', name: 'benchCapacityMeter', priority: 'high' },
  );
  return {
    async measure(fn) {
      const units = noUnits();
      const previous = current;
      current = units;
      try {
        return { result: await fn(), units };
      } finally {
        current = previous;
      }
    },
  };
}

/**
 * An item's size as DynamoDB bills it: each attribute's name (UTF-8 bytes) plus its value;
 * strings UTF-8 bytes, numbers about one byte per two significant digits plus one, booleans
 * and nulls 1 byte, lists and maps 3 bytes plus 1 per element plus the elements.
 */
export function itemSize(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value), 0);
}

function valueSize(v: unknown): number {
  if (v === null || v === undefined || typeof v === 'boolean') return 1;
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (typeof v === 'number') {
    const digits = String(Math.abs(v)).replace('.', '').replace(/^0+/, '').replace(/e.*$/, '').length || 1;
    return Math.ceil(digits / 2) + 1;
  }
  if (Array.isArray(v)) return 3 + v.reduce((s: number, e) => s + 1 + valueSize(e), 0);
  if (v instanceof Set) return [...v].reduce((s: number, e) => s + valueSize(e), 0);
  if (typeof v === 'object') return 3 + Object.entries(v as Record<string, unknown>).reduce((s, [k, e]) => s + 1 + Buffer.byteLength(k) + valueSize(e), 0);
  return 0;
}

/** Write units of one write of an item this size: 1 per KB started; twice that in a transaction. */
export const writeUnits = (bytes: number, transactional = false) => Math.max(1, Math.ceil(bytes / 1024)) * (transactional ? 2 : 1);
/** Read units of one strongly consistent read: 1 per 4 KB started; twice that in a transaction. */
export const readUnits = (bytes: number, transactional = false) => Math.max(1, Math.ceil(bytes / 4096)) * (transactional ? 2 : 1);
