import { isCalendarDay } from '../../spend/logs';
import * as z from 'zod/mini';
import { tokenHashOf } from '../../keys/model';
import { requirePrincipal } from '../core/auth';
import { createRoute, newRouter } from '../core/router';
import { okJson } from '../core/schemas';

/** A real calendar day (2026-02-30 is refused, not a 500 later). */
const Day = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'must be a date as YYYY-MM-DD' }), z.refine(isCalendarDay, { message: 'must be a day that exists (YYYY-MM-DD)' }));
const Query = z.object({
  api_key: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
  user_id: z.optional(z.string().check(z.maxLength(128))),
  team_id: z.optional(z.string().check(z.maxLength(128))),
  request_id: z.optional(z.string().check(z.maxLength(128))),
  start_date: z.optional(Day),
  end_date: z.optional(Day),
  summarize: z.optional(z.enum(['true', 'false'])),
  limit: z.optional(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000))),
});

export const spendLogRoutes = newRouter().openapi(
  createRoute({
    method: 'get',
    path: '/spend/logs',
    tags: ['spend'],
    summary:
      "LiteLLM's spend logs: rows newest first (at most 1000), or with dates (summarize defaults to true) spend per day, per user and per model. Internal users see only their own.",
    auth: 'caller',
    request: { query: Query },
    responses: okJson('Rows, or per-day summaries', 'SpendLogsResponse'),
  }),
  async (c) => {
    const actor = requirePrincipal(c);
    const q = c.req.valid('query');
    const query = { ...q, api_key: q.api_key ? tokenHashOf(q.api_key, 'api_key') : undefined };
    const logs = c.get('deps').spendLogs;
    const summarize = q.summarize ? q.summarize === 'true' : Boolean(q.start_date && q.end_date);
    return c.json(summarize ? await logs.daily(actor, query) : await logs.rows(actor, query), 200);
  },
);
