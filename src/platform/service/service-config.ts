import { envInt, envString, type Env } from '../config/env.js';
import { databaseSslFromEnv, type DatabaseSsl } from '../database/ssl.js';
import { loadMessagingConfig, type MessagingConfig } from '../messaging/kafka.js';

export interface ServiceConfig {
  readonly service: string;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly databaseUrl: string;
  /** `ssl` option of every PostgreSQL client (DATABASE_SSL, DATABASE_SSL_CA_FILE). */
  readonly databaseSsl: DatabaseSsl;
  readonly databasePoolMax: number;
  readonly shutdownTimeoutMs: number;
  readonly messaging: MessagingConfig;
}

/** Parses the settings every service shares; each error names the variable to fix. */
export function loadServiceConfig(env: Env, service: string, defaultPort: number): ServiceConfig {
  return {
    service,
    httpHost: envString(env, 'HTTP_HOST', '127.0.0.1'),
    httpPort: envInt(env, 'HTTP_PORT', defaultPort, { min: 0, max: 65535 }),
    databaseUrl: envString(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/streamline'),
    databaseSsl: databaseSslFromEnv(env),
    databasePoolMax: envInt(env, 'DATABASE_POOL_MAX', 10, { min: 1, max: 200 }),
    shutdownTimeoutMs: envInt(env, 'SHUTDOWN_TIMEOUT_MS', 25_000, { min: 1000 }),
    messaging: loadMessagingConfig(env, `streamline-${service}`),
  };
}
