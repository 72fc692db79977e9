import type pg from 'pg';
import { quoteIdent } from './sql.js';
import { inTransaction } from './transaction.js';

/**
 * Versioned DDL of one schema, applied at boot: each service keeps its own list of steps beside
 * its code; this runs them. Steps are applied in order, each once, and recorded in
 * `<schema>.schema_migrations`; all in one transaction under an advisory lock
 * (`streamline.<schema>.ddl`), so several processes may boot at once and a failed step leaves
 * nothing half-applied. Steps are append-only: never edit a shipped one.
 */
export interface Migration {
  readonly version: number;
  readonly sql: string;
  /** What the step does; recorded when the schema keeps names (`recordNames`). */
  readonly name?: string;
}

export interface MigrateOptions {
  /**
   * The version table has a `name` column, filled from each step's name (the sentiment schema
   * was created that way). Off: the table holds versions and times only.
   */
  readonly recordNames?: boolean;
}

/** Applies the steps not applied yet; returns their versions. Safe to run from several processes. */
export async function migrate(
  pool: pg.Pool,
  schema: string,
  steps: readonly Migration[],
  options: MigrateOptions = {},
): Promise<number[]> {
  const s = quoteIdent(schema);
  const recordNames = options.recordNames ?? false;
  if (recordNames) {
    const unnamed = steps.find((step) => step.name === undefined);
    if (unnamed) throw new Error(`migration ${unnamed.version} of ${schema} has no name`);
  }
  return inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`streamline.${schema}.ddl`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
         version integer PRIMARY KEY,${recordNames ? ' name text NOT NULL,' : ''}
         applied_at timestamptz NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(
      `SELECT version FROM ${s}.schema_migrations`,
    );
    const done = new Set(rows.map((r) => r.version));
    const applied: number[] = [];
    for (const step of steps) {
      if (done.has(step.version)) continue;
      await client.query(step.sql);
      if (recordNames) {
        await client.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [
          step.version,
          step.name,
        ]);
      } else {
        await client.query(`INSERT INTO ${s}.schema_migrations (version) VALUES ($1)`, [
          step.version,
        ]);
      }
      applied.push(step.version);
    }
    return applied;
  });
}
