import { handle } from 'hono/aws-lambda';
import { createApp } from '../../shared/http/core/app';
import { loadSecretsIntoEnv } from '../../shared/config/secrets';
import { loadConfig } from '../../shared/config/config';
import { buildDeps } from '../../shared/composition/services';

/**
 * The API Lambda: the secrets are read and the config validated once per cold
 * start (a bad config fails the init loudly), then every event goes to the app.
 */
const app = loadSecretsIntoEnv(process.env).then((env) => createApp(buildDeps(loadConfig(env))));

export const handler: ReturnType<typeof handle> = async (event, context) => handle(await app)(event, context);
