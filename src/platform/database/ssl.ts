import { type ConnectionOptions } from 'node:tls';
import {
  ConfigError,
  envOptional,
  readCaBundle,
  type Env,
  type ReadTextFile,
} from '../config/env.js';

/**
 * The `ssl` option of `pg` (`Client`, `Pool`) and of TypeORM's postgres driver: `false` for plain
 * TCP, else the `tls.connect` options. Verification is never switched off
 * (`rejectUnauthorized` is always true); `verify-ca` only skips the host-name check.
 */
export type DatabaseSsl =
  false | Readonly<Pick<ConnectionOptions, 'rejectUnauthorized' | 'ca' | 'checkServerIdentity'>>;

export type DatabaseSslMode = 'disable' | 'verify-ca' | 'verify-full';

/**
 * Accepted DATABASE_SSL values (case-insensitive). `true` and `require` predate the libpq names
 * and always verified the certificate and the host name, so they mean verify-full; the other
 * boolean spellings are accepted as `envBool` accepts them. Anything else stops the boot (it
 * used to mean "no TLS", silently).
 */
const MODES: ReadonlyMap<string, DatabaseSslMode> = new Map<string, DatabaseSslMode>([
  ['disable', 'disable'],
  ['false', 'disable'],
  ['off', 'disable'],
  ['no', 'disable'],
  ['0', 'disable'],
  ['verify-full', 'verify-full'],
  ['require', 'verify-full'],
  ['true', 'verify-full'],
  ['on', 'verify-full'],
  ['yes', 'verify-full'],
  ['1', 'verify-full'],
  ['verify-ca', 'verify-ca'],
]);

/** Connection-string parameters with which `pg` overrides the `ssl` option it is given. */
const URL_SSL_PARAMS = ['ssl', 'sslmode', 'sslrootcert', 'sslcert', 'sslkey'];

/**
 * Turns DATABASE_SSL (+ DATABASE_SSL_CA_FILE) into the `ssl` option every PostgreSQL client of
 * the platform uses (the services' `pg.Pool`, the ledger's TypeORM data source):
 *
 * - unset, `false`, `disable` → `false` (plain TCP);
 * - `verify-full` (also `true`, `require`) → TLS, the server certificate must chain to a trusted
 *   CA and name the host of DATABASE_URL. Unlike libpq's `require`, nothing is left unverified;
 * - `verify-ca` → TLS, chain verified, host name not (needs DATABASE_SSL_CA_FILE: with the
 *   public roots anyone holding a certificate from a public CA could pose as the server).
 *
 * DATABASE_SSL_CA_FILE is a PEM bundle that replaces the system roots for these connections
 * (a private CA). The file is read here, at boot. Errors name the variable; so does TLS asked
 * for twice, in DATABASE_SSL and in DATABASE_URL's `sslmode`-style parameters, because `pg`
 * would silently let the URL win.
 */
export function databaseSslFromEnv(env: Env, readFile?: ReadTextFile): DatabaseSsl {
  const raw = envOptional(env, 'DATABASE_SSL');
  const mode = raw === undefined ? 'disable' : MODES.get(raw.trim().toLowerCase());
  if (mode === undefined) {
    throw new ConfigError(
      'DATABASE_SSL',
      `must be disable (or false), verify-full (or true, require) or verify-ca, got "${raw}"`,
    );
  }
  const caFile = envOptional(env, 'DATABASE_SSL_CA_FILE');
  if (mode === 'disable') {
    if (caFile !== undefined) {
      throw new ConfigError(
        'DATABASE_SSL_CA_FILE',
        'is set but DATABASE_SSL is off; set DATABASE_SSL=verify-full to use it',
      );
    }
    return false;
  }
  if (mode === 'verify-ca' && caFile === undefined) {
    throw new ConfigError(
      'DATABASE_SSL_CA_FILE',
      'is required with DATABASE_SSL=verify-ca (the CA that signed the server certificate)',
    );
  }
  const urlParams = sslParamsInUrl(envOptional(env, 'DATABASE_URL'));
  if (urlParams.length > 0) {
    throw new ConfigError(
      'DATABASE_SSL',
      `conflicts with ${urlParams.join(', ')} in DATABASE_URL; configure TLS in one place`,
    );
  }
  const ca =
    caFile === undefined ? undefined : readCaBundle('DATABASE_SSL_CA_FILE', caFile, readFile);
  return {
    rejectUnauthorized: true,
    ...(ca === undefined ? {} : { ca }),
    ...(mode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
  };
}

function sslParamsInUrl(url: string | undefined): string[] {
  if (url === undefined) return [];
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return []; // an invalid DATABASE_URL is reported by whoever reads it
  }
  return URL_SSL_PARAMS.filter((name) => params.has(name));
}
