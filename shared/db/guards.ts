import { conflict } from '../core/errors';
import type { ItemKey } from './keys';
import { mustNotExist, type TransactOp } from './table';

/**
 * Uniqueness (emails, aliases) is a guard item whose key is the unique value,
 * written with `attribute_not_exists` in the same transaction as its owner. The
 * owner lists its guards in `unique_guards`, so deleting it removes them too.
 */
export type Guarded = { unique_guards?: ItemKey[] };

export function putGuard(guard: ItemKey, owner: ItemKey, type: string, message: string, param: string): TransactOp {
  return {
    put: { ...guard, type, owner_pk: owner.PK, owner_sk: owner.SK },
    condition: mustNotExist(() => conflict(message, param)),
  };
}

/** Deletes an item and its guards (the item only if it still exists). */
export function deleteWithGuards(item: ItemKey & Guarded): TransactOp[] {
  return [{ delete: { PK: item.PK, SK: item.SK } }, ...(item.unique_guards ?? []).map((g) => ({ delete: g }))];
}
