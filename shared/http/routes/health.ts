import * as z from 'zod/mini';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { createRoute, newRouter } from '../core/router';
import { errorResponse } from '../core/errors';
import { ONRAMP_VERSION } from '../../core/version';

export const healthRoutes = newRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/health/liveliness',
      auth: 'anyone',
      tags: ['health'],
      summary: 'The process is up',
      responses: { 200: { description: 'alive', content: { 'application/json': { schema: z.string() } } } },
    }),
    (c) => c.json("I'm alive!", 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/health/readiness',
      auth: 'anyone',
      tags: ['health'],
      summary: "The table is reachable; litellm_version is the server's version, where LiteLLM's clients read it",
      responses: {
        200: {
          description: 'ready',
          content: { 'application/json': { schema: z.object({ status: z.string(), db: z.string(), table: z.string(), litellm_version: z.string(), onramp_version: z.string() }) } },
        },
        503: { description: 'the table is not reachable' },
      },
    }),
    async (c) => {
      const { table } = c.get('deps');
      try {
        const out = await table.doc.send(new DescribeTableCommand({ TableName: table.name }));
        const table_status = out.Table?.TableStatus ?? 'UNKNOWN';
        return c.json({ status: 'healthy', db: 'connected', table: table_status, litellm_version: ONRAMP_VERSION, onramp_version: ONRAMP_VERSION }, 200);
      } catch (err) {
        return errorResponse(c, `Table ${table.name} is not reachable: ${(err as Error).name}`, 'service_unavailable', 503);
      }
    },
  );
