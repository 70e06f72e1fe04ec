import { forbidden } from '../core/errors';
import type { KeyItem } from './model';

/**
 * `allowed_routes` on a key (LiteLLM's field): when the list is not empty, the key
 * may call only those routes. An entry matches its route exactly, every route
 * below it (`/key` matches `/key/info`, not `/keys`), or, ending in `*`, every
 * route that starts with what comes before (`/v1/*`). An empty list restricts nothing.
 *
 * @example keyMayCall({ allowed_routes: ['/key/info', '/v1/*'] }, '/v1/chat/completions') // true
 */
export function keyMayCall(key: Pick<KeyItem, 'allowed_routes'>, path: string): boolean {
  const allowed = key.allowed_routes ?? [];
  if (allowed.length === 0) return true;
  return allowed.some((route) => (route.endsWith('*') ? path.startsWith(route.slice(0, -1)) : path === route || path.startsWith(`${route}/`)));
}

/** Refuses the call (403, LiteLLM's wording) when the key may not call this route. */
export function assertKeyMayCall(key: Pick<KeyItem, 'allowed_routes' | 'key_name'>, path: string): void {
  if (keyMayCall(key, path)) return;
  throw forbidden(
    `Virtual key is not allowed to call this route. Only allowed to call routes: [${(key.allowed_routes ?? []).join(', ')}]. Tried to call route: ${path} (key ${key.key_name}).`,
  );
}
