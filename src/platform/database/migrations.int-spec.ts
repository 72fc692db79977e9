import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.js';
import { migrate, type Migration } from './migrations.js';

const STEPS: readonly Migration[] = [
  { version: 1, name: 'items', sql: 'CREATE TABLE svc.items (id integer PRIMARY KEY)' },
  { version: 2, name: 'item names', sql: 'ALTER TABLE svc.items ADD COLUMN name text' },
];

async function columns(pool: pg.Pool, schema: string, table: string): Promise<string[]> {
  const { rows } = await pool.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
    [schema, table],
  );
  return rows.map((r) => r.column_name);
}

describe('schema migrations on real PostgreSQL', () => {
  let db: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await createTestDatabase('migrations');
    pool = db.pool(6);
  });

  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('applies each step once, in order, even when several processes boot at once', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => migrate(pool, 'svc', STEPS.slice(0, 1))));
    expect(runs.flat()).toEqual([1]);
    expect(await migrate(pool, 'svc', STEPS)).toEqual([2]);
    expect(await migrate(pool, 'svc', STEPS)).toEqual([]);
    expect(await columns(pool, 'svc', 'items')).toEqual(['id', 'name']);
    expect(await columns(pool, 'svc', 'schema_migrations')).toEqual(['version', 'applied_at']);
  });

  it('records names when the schema keeps them', async () => {
    expect(await migrate(pool, 'named', [], { recordNames: true })).toEqual([]);
    const steps = STEPS.map((s) => ({ ...s, sql: s.sql.replaceAll('svc.', 'named.') }));
    expect(await migrate(pool, 'named', steps, { recordNames: true })).toEqual([1, 2]);
    const { rows } = await pool.query<{ version: number; name: string }>(
      'SELECT version, name FROM named.schema_migrations ORDER BY version',
    );
    expect(rows).toEqual([
      { version: 1, name: 'items' },
      { version: 2, name: 'item names' },
    ]);
    await expect(
      migrate(pool, 'named', [{ version: 3, sql: 'SELECT 1' }], { recordNames: true }),
    ).rejects.toThrow('migration 3 of named has no name');
  });

  it('rolls a failed run back entirely', async () => {
    const steps: Migration[] = [
      { version: 1, sql: 'CREATE TABLE broken.a (id integer)' },
      { version: 2, sql: 'CREATE TABLE broken.b (id no_such_type)' },
    ];
    await expect(migrate(pool, 'broken', steps)).rejects.toThrow(/no_such_type/);
    const { rows } = await pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = 'broken'",
    );
    expect(rows[0]!.n).toBe(0);
  });
});
