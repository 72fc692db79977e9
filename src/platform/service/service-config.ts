import { envInt, envOptional, envString, type Env } from '../config/env.js';
import { loadMessagingConfig, type MessagingConfig } from '../messaging/kafka.js';

export interface ServiceConfig {
  readonly service: string;
  readonly httpHost: string;
  readonly httpPort: number;
  readonly databaseUrl: string;
  readonly databaseSsl: boolean;
  readonly databasePoolMax: number;
  readonly shutdownTimeoutMs: number;
  readonly messaging: MessagingConfig;
}

/** Parses the settings every service shares; each error names the variable to fix. */
export function loadServiceConfig(env: Env, service: string, defaultPort: number): ServiceConfig {
  const sslMode = envOptional(env, 'DATABASE_SSL');
  return {
    service,
    httpHost: envString(env, 'HTTP_HOST', '127.0.0.1'),
    httpPort: envInt(env, 'HTTP_PORT', defaultPort, { min: 0, max: 65535 }),
    databaseUrl: envString(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/streamline'),
    databaseSsl: sslMode === 'true' || sslMode === 'require',
    databasePoolMax: envInt(env, 'DATABASE_POOL_MAX', 10, { min: 1, max: 200 }),
    shutdownTimeoutMs: envInt(env, 'SHUTDOWN_TIMEOUT_MS', 25_000, { min: 1000 }),
    messaging: loadMessagingConfig(env, `streamline-${service}`),
  };
}
