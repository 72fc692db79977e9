import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Throw-away PostgreSQL databases for integration tests: each suite gets its own, created on the
 * real server that `DATABASE_URL` (or the stack default) points at, and dropped afterwards.
 */
export const adminDatabaseUrl =
  process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  /**
   * A connection pool on this database that ignores errors of idle clients: `drop` terminates
   * every connection (WITH FORCE), and an idle client's 57P01 must not fail the suite.
   */
  pool(max?: number): pg.Pool;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'test'): Promise<TestDatabase> {
  const name =
    `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`.toLowerCase();
  const admin = new pg.Client({ connectionString: adminDatabaseUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminDatabaseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    pool(max = 2): pg.Pool {
      const pool = new pg.Pool({ connectionString: url.toString(), max });
      pool.on('error', () => undefined);
      return pool;
    },
    async drop(): Promise<void> {
      const c = new pg.Client({ connectionString: adminDatabaseUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
