import * as z from 'zod/mini';
import { AUDIT_SORT_FIELDS } from '../../audit/log';
import { requirePrincipal } from '../core/auth';
import { createRoute, newRouter } from '../core/router';
import { okJson } from '../core/schemas';

const Filter = z.optional(z.string().check(z.minLength(1), z.maxLength(256)));
const DateFilter = z.optional(
  z.string().check(z.refine((s) => /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(s) && !Number.isNaN(Date.parse(s)), { message: 'give a date (2026-01-31) or an ISO date-time' })),
);

/** LiteLLM's audit log routes: `GET /audit` (paged, filtered) and `GET /audit/{id}`. */
export const auditRoutes = newRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/audit',
      tags: ['audit'],
      summary: 'Who changed what and when, newest first (proxy admins and viewers); entries are kept ONRAMP_AUDIT_RETENTION_DAYS days',
      auth: 'caller',
      request: {
        query: z.object({
          page: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 1),
          page_size: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 10),
          changed_by: Filter,
          changed_by_api_key: Filter,
          action: Filter,
          table_name: Filter,
          object_id: Filter,
          start_date: DateFilter,
          end_date: DateFilter,
          sort_by: z.optional(z.enum(AUDIT_SORT_FIELDS)),
          sort_order: z._default(z.enum(['asc', 'desc']), 'desc'),
        }),
      },
      responses: okJson('A page of audit entries', 'PaginatedAuditLogResponse', {
        audit_logs: z.array(z.looseObject({})),
        total: z.number(),
        page: z.number(),
        page_size: z.number(),
        total_pages: z.number(),
      }),
    }),
    async (c) => {
      return c.json(await c.get('deps').audit.listFor(requirePrincipal(c), c.req.valid('query')), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/audit/{id}',
      tags: ['audit'],
      summary: 'One audit entry (proxy admins and viewers)',
      auth: 'caller',
      request: { params: z.object({ id: z.string().check(z.minLength(1), z.maxLength(128)) }) },
      responses: okJson('The audit entry', 'AuditLogResponse'),
    }),
    async (c) => {
      return c.json(await c.get('deps').audit.getFor(requirePrincipal(c), c.req.valid('param').id), 200);
    },
  );
