import { createRoute, z } from '@hono/zod-openapi';
import { badRequest } from '../../errors';
import { publicKey, type KeyItem } from '../../keys/model';
import { requirePrincipal } from '../auth';
import { newRouter } from '../router';
import { DurationString, Id, jsonBody, requireJsonBody, Limit, Metadata, ModelList, Money, okJson, security } from '../schemas';

const KeyRef = z.string().min(1).max(512).openapi({ description: 'the key (sk-…) or its token hash' });
const keyFields = {
  models: ModelList.optional(),
  max_budget: Money.nullable().optional(),
  soft_budget: Money.nullable().optional(),
  budget_duration: DurationString.nullable().optional(),
  duration: DurationString.nullable().optional().openapi({ description: 'lifetime: 30s, 30m, 30h, 30d, 1mo; null never expires' }),
  key_alias: z.string().trim().min(1).max(256).nullable().optional(),
  metadata: Metadata.optional(),
  tpm_limit: Limit.nullable().optional(),
  rpm_limit: Limit.nullable().optional(),
  blocked: z.boolean().optional(),
};
const Generate = z
  .object({
    team_id: Id.nullable().optional(),
    user_id: Id.nullable().optional(),
    key: z.string().startsWith('sk-').min(20).max(256).optional().openapi({ description: 'a custom key (proxy admins)' }),
    ...keyFields,
  })
  .openapi('GenerateKeyRequest');
const Update = z.object({ key: KeyRef, team_id: Id.nullable().optional(), user_id: Id.nullable().optional(), ...keyFields }).openapi('UpdateKeyRequest');

/** A key as returned by generate/regenerate: the only time the secret is shown. */
const withSecret = (secret: string, item: KeyItem) => ({ ...publicKey(item), key: secret });

const json = { middleware: requireJsonBody };

export const keyRoutes = newRouter()
  .openapi(
    createRoute({
      method: 'post',
      ...json,
      path: '/key/generate',
      tags: ['keys'],
      summary: "Create a key; the secret is in this response only. Inside a team, models and budget stay within the team's",
      security,
      request: { body: jsonBody(Generate) },
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
      security,
      request: { query: z.object({ key: KeyRef.optional() }) },
      responses: okJson('The key', 'KeyInfoResponse'),
    }),
    async (c) => {
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
      security,
      request: {
        query: z.object({
          page: z.coerce.number().int().min(1).default(1),
          size: z.coerce.number().int().min(1).max(100).default(10),
          user_id: Id.optional(),
          team_id: Id.optional(),
          key_alias: z.string().max(256).optional(),
          return_full_object: z.enum(['true', 'false']).default('false'),
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
    createRoute({ method: 'post', ...json, path: '/key/update', tags: ['keys'], summary: 'Change a key; only the fields given are written', security, request: { body: jsonBody(Update) }, responses: okJson('The key', 'UpdateKeyResponse') }),
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
      security,
      request: {
        body: jsonBody(
          z
            .object({ keys: z.array(KeyRef).max(100).optional(), key_aliases: z.array(z.string().min(1).max(256)).max(100).optional() })
            .refine((b) => (b.keys?.length ?? 0) + (b.key_aliases?.length ?? 0) > 0, { message: 'give keys or key_aliases', path: ['keys'] }),
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
      ...json,
      path: '/key/regenerate',
      tags: ['keys'],
      summary: 'A new secret for the same key record (alias, budgets, spend kept); the old secret stops working',
      security,
      request: { body: jsonBody(z.object({ key: KeyRef, models: ModelList.optional(), max_budget: Money.nullable().optional(), duration: DurationString.nullable().optional() })) },
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
      security,
      request: { params: z.object({ key: KeyRef }) },
      responses: okJson('The key, with its new secret', 'RegenerateKeyPathResponse'),
    }),
    async (c) => {
      const { secret, item } = await c.get('deps').keys.regenerate(requirePrincipal(c), c.req.valid('param').key);
      return c.json(withSecret(secret, item), 200);
    },
  )
  .openapi(
    createRoute({ method: 'post', ...json, path: '/key/block', tags: ['keys'], summary: 'Block a key: it is refused at once', security, request: { body: jsonBody(z.object({ key: KeyRef })) }, responses: okJson('The key', 'BlockKeyResponse') }),
    async (c) => c.json(publicKey(await c.get('deps').keys.setBlocked(requirePrincipal(c), c.req.valid('json').key, true)), 200),
  )
  .openapi(
    createRoute({ method: 'post', ...json, path: '/key/unblock', tags: ['keys'], summary: 'Unblock a key', security, request: { body: jsonBody(z.object({ key: KeyRef })) }, responses: okJson('The key', 'UnblockKeyResponse') }),
    async (c) => c.json(publicKey(await c.get('deps').keys.setBlocked(requirePrincipal(c), c.req.valid('json').key, false)), 200),
  );
