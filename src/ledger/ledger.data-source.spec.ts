import { ConfigError } from '../platform/config/env.js';
import { ledgerDatabaseConfigFromEnv, ledgerDataSourceOptions } from './ledger.data-source.js';
import { LEDGER_MIGRATIONS } from './migrations/index.js';

describe('ledger data source', () => {
  it('reads the shared database variables with safe defaults', () => {
    expect(ledgerDatabaseConfigFromEnv({})).toEqual({
      url: 'postgres://postgres@127.0.0.1:5432/streamline',
      poolMax: 10,
      ssl: false,
      applicationName: 'streamline-ledger',
      lockTimeoutMs: 10_000,
      statementTimeoutMs: 60_000,
    });
    expect(
      ledgerDatabaseConfigFromEnv({
        DATABASE_URL: 'postgres://u@db:5432/x',
        DATABASE_POOL_MAX: '4',
        DATABASE_SSL: 'require',
        LEDGER_LOCK_TIMEOUT_MS: '2500',
      }),
    ).toMatchObject({
      url: 'postgres://u@db:5432/x',
      poolMax: 4,
      ssl: { rejectUnauthorized: true },
      lockTimeoutMs: 2500,
    });
  });

  it('fails fast naming the variable', () => {
    expect(() => ledgerDatabaseConfigFromEnv({ DATABASE_POOL_MAX: 'lots' })).toThrow(ConfigError);
    expect(() => ledgerDatabaseConfigFromEnv({ DATABASE_URL: 'not a url' })).toThrow(
      /DATABASE_URL/,
    );
    expect(() => ledgerDatabaseConfigFromEnv({ DATABASE_SSL: 'maybe' })).toThrow(/DATABASE_SSL/);
  });

  it('runs migrations into schema ledger and never synchronizes', () => {
    const options = ledgerDataSourceOptions(ledgerDatabaseConfigFromEnv({}));
    expect(options).toMatchObject({
      type: 'postgres',
      schema: 'ledger',
      migrationsRun: true,
      synchronize: false,
      migrations: LEDGER_MIGRATIONS,
      parseInt8: false,
      extra: { lock_timeout: 10_000, statement_timeout: 60_000 },
    });
  });
});
