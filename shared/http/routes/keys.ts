import * as z from 'zod/mini';
import { badRequest } from '../../core/errors';
import { publicKey, type KeyItem } from '../../keys/model';
import { isSelfKeyInfo, requirePrincipal } from '../core/auth';
import { createRoute, newRouter } from '../core/router';
import { refuseFields, UNENFORCED_KEY_FIELDS } from '../core/unsupported-fields';
import { jsonBody, requireJsonBody, okJson } from '../core/schemas';
import { Id } from '../../core/inputs';
import { GenerateKey, KeyRef, RegenerateKey, UpdateKey } from '../../keys/inputs';

/** Fields /key/update changes that /key/regenerate does not (LiteLLM takes them on both). */
const NOT_REGENERATED = ['key_alias', 'team_id', 'user_id', 'metadata', 'soft_budget', 'budget_duration', 'tpm_limit', 'rpm_limit', 'blocked', 'allowed_routes', 'new_key', 'auto_rotate', 'rotation_interval'];
const REGENERATE_CHANGES_ONLY = 'is not changed by /key/regenerate in onramp (only models, max_budget and duration are): change it with /key/update.';

/** A key as returned by generate/regenerate: the only time the secret is shown. */
const withSecret = (secret: string, item: KeyItem) => ({ ...publicKey(item), key: secret });

const json = { middleware: requireJsonBody };
/** The body may not set a LiteLLM key field onramp does not enforce. */
const keyBody = { middleware: [requireJsonBody, refuseFields(UNENFORCED_KEY_FIELDS)] as const };

export const keyRoutes = newRouter()
  .openapi(
    createRoute({
      method: 'post',
      ...keyBody,
      path: '/key/generate',
      tags: ['keys'],
      summary: "Create a key; the secret is in this response only. Inside a team, models and budget stay within the team's",
      auth: 'caller',
      request: { body: jsonBody(GenerateKey) },
      responses: okJson('The key, with its secret', 'GenerateKeyResponse'),
    }),
    async (c) => {
      const { secret, item } = await c.get('deps').keys.generate(requirePrincipal(c), c.req.valid('json'));
      return c.json(withSecret(secret, item), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/key/info',
      tags: ['keys'],
      summary: 'A key (defaults to the key you call with)',
      auth: 'selfKey',
      request: { query: z.object({ key: z.optional(KeyRef) }) },
      responses: okJson('The key', 'KeyInfoResponse'),
    }),
    async (c) => {
      // A key may always read itself (its spend and what remains), as in LiteLLM, and
      // it was already read to authenticate the call.
      const own = c.get('callerKey');
      if (own && isSelfKeyInfo(c.req, own)) return c.json({ key: c.req.valid('query').key ?? own.token, info: publicKey(own) }, 200);
      const actor = requirePrincipal(c);
      const ref = c.req.valid('query').key ?? actor.keyHash;
      if (!ref) throw badRequest('Give ?key=<key or token hash>.', 'key');
      const item = await c.get('deps').keys.info(actor, ref);
      return c.json({ key: ref, info: publicKey(item) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/key/list',
      tags: ['keys'],
      summary: 'Keys, paginated: all for admins and viewers, your own otherwise (a team admin may list the team)',
      auth: 'caller',
      request: {
        query: z.object({
          page: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 1),
          size: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 10),
          user_id: z.optional(Id),
          team_id: z.optional(Id),
          key_alias: z.optional(z.string().check(z.maxLength(256))),
          return_full_object: z._default(z.enum(['true', 'false']), 'false'),
        }),
      },
      responses: okJson('A page of keys', 'KeyListResponse'),
    }),
    async (c) => {
      const { return_full_object, ...q } = c.req.valid('query');
      const page = await c.get('deps').keys.list(requirePrincipal(c), q);
      return c.json({ ...page, keys: page.keys.map((k) => (return_full_object === 'true' ? publicKey(k) : k.token)) }, 200);
    },
  )
  .openapi(
    createRoute({ method: 'post', ...keyBody, path: '/key/update', tags: ['keys'], summary: 'Change a key named by key (or by key_alias alone); only the fields given are written', auth: 'caller', request: { body: jsonBody(UpdateKey) }, responses: okJson('The key', 'UpdateKeyResponse') }),
    async (c) => {
      const item = await c.get('deps').keys.update(requirePrincipal(c), c.req.valid('json'));
      return c.json(publicKey(item), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      ...json,
      path: '/key/delete',
      tags: ['keys'],
      summary: 'Delete keys by key/hash or by alias',
      auth: 'caller',
      request: {
        body: jsonBody(
          z
            .object({
              keys: z.optional(z.array(KeyRef).check(z.maxLength(100))),
              key_aliases: z.optional(z.array(z.string().check(z.minLength(1), z.maxLength(256))).check(z.maxLength(100))),
            })
            .check(z.refine((b) => (b.keys?.length ?? 0) + (b.key_aliases?.length ?? 0) > 0, { message: 'give keys or key_aliases', path: ['keys'] })),
        ),
      },
      responses: okJson('The deleted token hashes', 'DeleteKeyResponse'),
    }),
    async (c) => {
      const deleted = await c.get('deps').keys.delete(requirePrincipal(c), c.req.valid('json'));
      return c.json({ deleted_keys: deleted }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      middleware: [requireJsonBody, refuseFields(UNENFORCED_KEY_FIELDS), refuseFields(NOT_REGENERATED, REGENERATE_CHANGES_ONLY)] as const,
      path: '/key/regenerate',
      tags: ['keys'],
      summary: 'A new secret for the same key record (alias, budgets, spend kept); the old secret stops working, or after grace_period (at most 7d)',
      auth: 'caller',
      request: {
        body: jsonBody(RegenerateKey),
      },
      responses: okJson('The key, with its new secret', 'RegenerateKeyResponse'),
    }),
    async (c) => {
      const { key, ...changes } = c.req.valid('json');
      const { secret, item } = await c.get('deps').keys.regenerate(requirePrincipal(c), key, changes);
      return c.json(withSecret(secret, item), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/key/{key}/regenerate',
      tags: ['keys'],
      summary: "LiteLLM's path form of /key/regenerate",
      auth: 'caller',
      request: { params: z.object({ key: KeyRef }) },
      responses: okJson('The key, with its new secret', 'RegenerateKeyPathResponse'),
    }),
    async (c) => {
      const { secret, item } = await c.get('deps').keys.regenerate(requirePrincipal(c), c.req.valid('param').key);
      return c.json(withSecret(secret, item), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      ...json,
      path: '/key/rotated_secret',
      tags: ['keys'],
      summary: "The new secret the scheduled rotation gave a key, once, to its owner or a proxy admin (onramp's own route)",
      auth: 'caller',
      request: { body: jsonBody(z.object({ key: KeyRef })) },
      responses: okJson('The key, with its new secret', 'RotatedSecretResponse'),
    }),
    async (c) => {
      const { secret, item } = await c.get('deps').keys.revealRotated(requirePrincipal(c), c.req.valid('json').key);
      return c.json(withSecret(secret, item), 200);
    },
  )
  .openapi(
    createRoute({ method: 'post', ...json, path: '/key/block', tags: ['keys'], summary: 'Block a key: it is refused at once', auth: 'caller', request: { body: jsonBody(z.object({ key: KeyRef })) }, responses: okJson('The key', 'BlockKeyResponse') }),
    async (c) => c.json(publicKey(await c.get('deps').keys.setBlocked(requirePrincipal(c), c.req.valid('json').key, true)), 200),
  )
  .openapi(
    createRoute({ method: 'post', ...json, path: '/key/unblock', tags: ['keys'], summary: 'Unblock a key', auth: 'caller', request: { body: jsonBody(z.object({ key: KeyRef })) }, responses: okJson('The key', 'UnblockKeyResponse') }),
    async (c) => c.json(publicKey(await c.get('deps').keys.setBlocked(requirePrincipal(c), c.req.valid('json').key, false)), 200),
  );
