import { Hono } from 'hono';
import { streamHandle } from 'hono/aws-lambda';
import { createApp } from '../../shared/http/core/app';
import { loadConfig } from '../../shared/config/config';
import { loadSecretsIntoEnv } from '../../shared/config/secrets';
import { buildDeps } from '../../shared/composition/services';

/**
 * The model gateway Lambda, behind a function URL in RESPONSE_STREAM mode: the same
 * app, answered as a stream so SSE chunks reach the client as the model writes them.
 * Status and headers go out before the body, so every refusal happens before the first
 * byte; spend is settled before the stream closes (see shared/gateway/calls.ts).
 */
const app = loadSecretsIntoEnv(process.env).then((env) => createApp(buildDeps(loadConfig(env))));

// streamHandle needs an app at import time; the real one is ready after the secrets are read.
const entry = new Hono().all('*', async (c) => (await app).fetch(c.req.raw));

export const handler: ReturnType<typeof streamHandle> = streamHandle(entry);
