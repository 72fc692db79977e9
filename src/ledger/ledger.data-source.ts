import pg from 'pg';
import { DataSource } from 'typeorm';
import { type PostgresDataSourceOptions } from 'typeorm/driver/postgres/PostgresDataSourceOptions.js';
import { envInt, envUrl, type Env } from '../platform/config/env.js';
import { databaseSslFromEnv, type DatabaseSsl } from '../platform/database/ssl.js';
import { LEDGER_MIGRATIONS } from './migrations/index.js';

/** The PostgreSQL schema holding every ledger table (and TypeORM's migrations table). */
export const LEDGER_SCHEMA = 'ledger';

export interface LedgerDatabaseConfig {
  readonly url: string;
  /** Connections in the pool: one per batch in flight, plus reads. */
  readonly poolMax: number;
  /** `ssl` option of `pg`/TypeORM, from DATABASE_SSL (+ DATABASE_SSL_CA_FILE). */
  readonly ssl: DatabaseSsl;
  /** Shown in pg_stat_activity. */
  readonly applicationName: string;
  /**
   * Longest wait for a row lock (an account held by a stuck transaction) before the statement
   * fails with a retriable error instead of stalling the consumer. Default 10 s.
   */
  readonly lockTimeoutMs?: number;
  /** Longest a single statement may run. Default 60 s. */
  readonly statementTimeoutMs?: number;
}

/**
 * Reads DATABASE_URL, DATABASE_POOL_MAX and DATABASE_SSL (+ DATABASE_SSL_CA_FILE): the variables
 * every service uses, parsed as the platform parses them.
 */
export function ledgerDatabaseConfigFromEnv(env: Env): LedgerDatabaseConfig {
  return {
    url: envUrl(env, 'DATABASE_URL', 'postgres://postgres@127.0.0.1:5432/streamline'),
    poolMax: envInt(env, 'DATABASE_POOL_MAX', 10, { min: 1, max: 200 }),
    ssl: databaseSslFromEnv(env),
    applicationName: 'streamline-ledger',
    lockTimeoutMs: envInt(env, 'LEDGER_LOCK_TIMEOUT_MS', 10_000, { min: 100, max: 600_000 }),
    statementTimeoutMs: envInt(env, 'LEDGER_STATEMENT_TIMEOUT_MS', 60_000, {
      min: 1000,
      max: 3_600_000,
    }),
  };
}

/**
 * TypeORM options for the ledger: raw-SQL migrations run at start-up (`migrationsRun`), never
 * `synchronize`. There are no entities — the repository speaks set-based SQL.
 */
export function ledgerDataSourceOptions(config: LedgerDatabaseConfig): PostgresDataSourceOptions {
  return {
    type: 'postgres',
    url: config.url,
    ssl: config.ssl,
    applicationName: config.applicationName,
    schema: LEDGER_SCHEMA,
    poolSize: config.poolMax,
    entities: [],
    migrations: LEDGER_MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    migrationsTransactionMode: 'each',
    migrationsRun: true,
    synchronize: false,
    installExtensions: false,
    // Not 'error': TypeORM would log every failed statement with its parameters (thousands of
    // values per batch, payment data included). Failures reach the caller as errors anyway.
    logging: ['migration', 'warn'],
    // Money columns are bigint: keep them as strings from pg and convert to bigint ourselves.
    parseInt8: false,
    // Session settings of every pooled connection: no wait is unbounded.
    extra: {
      lock_timeout: config.lockTimeoutMs ?? 10_000,
      statement_timeout: config.statementTimeoutMs ?? 60_000,
      idle_in_transaction_session_timeout: 60_000,
    },
  };
}

export function createLedgerDataSource(config: LedgerDatabaseConfig): DataSource {
  return new DataSource(ledgerDataSourceOptions(config));
}

/** Arbitrary constant: the advisory lock serialising ledger migrations across processes. */
const MIGRATION_LOCK_KEY = 0x1ed6e2;

/** How long a starting process waits for another one's migrations before giving up. */
const MIGRATION_LOCK_TIMEOUT_MS = 600_000;

/**
 * Creates and initialises the ledger's data source so that it is safe to call from several
 * processes at once (replicas starting together, a restart racing an old instance):
 * TypeORM's migration runner takes no lock and cannot create the schema its migrations table
 * lives in, so this holds a session advisory lock on a side connection, makes sure the schema
 * exists, and only then lets `initialize()` run the pending migrations.
 */
export async function initializeLedgerDataSource(
  config: LedgerDatabaseConfig,
): Promise<DataSource> {
  const guard = new pg.Client({
    connectionString: config.url,
    ssl: config.ssl,
    application_name: `${config.applicationName}-migrations`,
    lock_timeout: MIGRATION_LOCK_TIMEOUT_MS,
  });
  await guard.connect();
  try {
    await guard.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    await guard.query(`CREATE SCHEMA IF NOT EXISTS ${LEDGER_SCHEMA}`);
    const dataSource = createLedgerDataSource(config);
    await dataSource.initialize();
    return dataSource;
  } finally {
    // Ending the session releases the advisory lock even if unlocking is never reached.
    await guard.end();
  }
}
