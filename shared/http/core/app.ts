import { requestId } from 'hono/request-id';
import { secureHeaders } from 'hono/secure-headers';
import type { Deps } from '../../composition/deps';
import { ONRAMP_VERSION } from '../../core/version';
import { auditMutations } from './audit-hook';
import { authenticate, routeAuth } from './auth';
import { errorResponse, handleError } from './errors';
import { openApiDocument, type DocumentSettings, type OpenApiDocument } from './openapi';
import { newRouter } from './router';
import { errorPage, isPagePath, notFoundPage, pageRoutes } from '../pages';
import { auditRoutes } from '../routes/audit';
import { healthRoutes } from '../routes/health';
import { invitationRoutes } from '../routes/invitations';
import { loginRoutes } from '../routes/login';
import { modelRoutes } from '../routes/models';
import { gatewayRoutes } from '../routes/gateway';
import { spendLogRoutes } from '../routes/spend-logs';
import { onboardingRoutes } from '../routes/onboarding';
import { passwordRoutes } from '../routes/password';
import { keyRoutes } from '../routes/keys';
import { litellmListRoutes } from '../routes/litellm-lists';
import { settingsRoutes } from '../routes/settings';
import { spendRoutes } from '../routes/spend';
import { ssoRoutes } from '../routes/sso';
import { teamRoutes } from '../routes/teams';
import { userRoutes } from '../routes/users';

export const API_VERSION = ONRAMP_VERSION;

const DOCUMENT_SETTINGS: DocumentSettings = {
  info: {
    title: 'onramp',
    version: API_VERSION,
    description: "Self-serve AI access: users, teams, budgets, invitations and API keys. LiteLLM's management API, rebuilt on AWS.",
  },
  securitySchemes: {
    bearerAuth: { type: 'http', scheme: 'bearer', description: 'The master key, a virtual key (sk-…) or a session token from /v2/login' },
  },
};

/**
 * Builds the whole app: request ids, security headers, authentication, every
 * route, one not-found and one error handler (so no route can answer outside
 * LiteLLM's envelope), and the OpenAPI document at /openapi.json.
 */
export function createApp(deps: Deps) {
  const app = newRouter();
  app.use(requestId());
  app.use(secureHeaders());
  app.use(async (c, next) => {
    c.set('deps', deps);
    await next();
  });
  app.use(authenticate);
  app.use(auditMutations);

  app.route('/', healthRoutes);
  app.route('/', loginRoutes);
  app.route('/', ssoRoutes);
  app.route('/', invitationRoutes);
  app.route('/', onboardingRoutes);
  app.route('/', passwordRoutes);
  app.route('/', userRoutes);
  app.route('/', teamRoutes);
  app.route('/', keyRoutes);
  app.route('/', settingsRoutes);
  app.route('/', pageRoutes);
  app.route('/', spendRoutes);
  app.route('/', litellmListRoutes);
  app.route('/', modelRoutes);
  app.route('/', gatewayRoutes);
  app.route('/', spendLogRoutes);
  app.route('/', auditRoutes);

  // Built on the first request, not at cold start.
  let document: OpenApiDocument | undefined;
  app.get('/openapi.json', routeAuth('anyone'), (c) => c.json((document ??= openApiDocument(app.definitions, DOCUMENT_SETTINGS))));

  app.notFound((c) =>
    isPagePath(c.req.path) ? notFoundPage(c) : errorResponse(c, `Route not found: ${c.req.method} ${c.req.path}`, 'not_found_error', 404),
  );
  app.onError((err, c) => (isPagePath(c.req.path) ? errorPage(err, c) : handleError(err, c)));
  return app;
}

export type App = ReturnType<typeof createApp>;
