import * as z from 'zod/mini';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { createRoute, newRouter } from '../router';
import { errorResponse } from '../errors';

export const healthRoutes = newRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/health/liveliness',
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
      tags: ['health'],
      summary: 'The table is reachable',
      responses: {
        200: {
          description: 'ready',
          content: { 'application/json': { schema: z.object({ status: z.string(), db: z.string(), table: z.string() }) } },
        },
        503: { description: 'the table is not reachable' },
      },
    }),
    async (c) => {
      const { table } = c.get('deps');
      try {
        const out = await table.doc.send(new DescribeTableCommand({ TableName: table.name }));
        return c.json({ status: 'healthy', db: 'connected', table: out.Table?.TableStatus ?? 'UNKNOWN' }, 200);
      } catch (err) {
        return errorResponse(c, `Table ${table.name} is not reachable: ${(err as Error).name}`, 'service_unavailable', 503);
      }
    },
  );
