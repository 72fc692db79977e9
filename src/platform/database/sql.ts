/**
 * The one thing every persistence helper needs from a connection: a parameterised query.
 * `pg.Pool`, `pg.PoolClient` and TypeORM's `EntityManager`/`QueryRunner` all fit, so platform
 * code can join the caller's transaction whatever the caller holds.
 */
export interface SqlExecutor {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** Quotes a SQL identifier (schema, table). Only for names from code or config, never user data. */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new Error(`invalid SQL identifier "${name}": use lower-case letters, digits and _`);
  }
  return `"${name}"`;
}
