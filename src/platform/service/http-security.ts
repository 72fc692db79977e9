import { type INestApplication } from '@nestjs/common';
import { envList, type Env } from '../config/env.js';

/**
 * HTTP hygiene every service gets from `runService`:
 * - security headers on every response (routes, 404s, errors) through Nest's built-in
 *   `useSecurityHeaders()` (helmet 8's headers and defaults: CSP, HSTS, nosniff, frame options,
 *   referrer policy, COOP/CORP; `X-Powered-By` removed). `upgrade-insecure-requests` is left out
 *   of the CSP because services speak plain HTTP behind a TLS-terminating proxy and /docs must
 *   keep working when opened directly.
 * - CORS off (no `Access-Control-*` headers, so browsers refuse cross-origin calls) unless
 *   `CORS_ALLOWED_ORIGINS` lists exact origins (`https://a.example,https://b.example`). No
 *   wildcard and no credentials: clients authenticate with headers, never cookies.
 */
export function applyHttpSecurity(app: INestApplication, env: Env): void {
  app.useSecurityHeaders({
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
  const origins = envList(env, 'CORS_ALLOWED_ORIGINS', []);
  if (origins.some((o) => o === '*')) {
    throw new Error('config: CORS_ALLOWED_ORIGINS must list exact origins, not *');
  }
  if (origins.length > 0) {
    app.enableCors({
      origin: origins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: [
        'content-type',
        'authorization',
        'x-api-key',
        'idempotency-key',
        'traceparent',
        'tracestate',
      ],
      exposedHeaders: [
        'retry-after',
        'ratelimit-limit',
        'ratelimit-remaining',
        'ratelimit-reset',
        'ratelimit-policy',
        'idempotent-replayed',
        'traceparent',
      ],
      credentials: false,
      maxAge: 600,
    });
  }
}
