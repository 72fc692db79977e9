import type pg from 'pg';

/**
 * The gateway's tables (schema `gateway`), created at boot under an advisory lock so several
 * instances starting together do not race. Statements are idempotent.
 *
 * - `usage_monthly`: requests admitted per API key per UTC month (the monthly quota counter).
 * - `idempotency_keys`: one row per (API key, Idempotency-Key): the request fingerprint, the
 *   state (in_progress → completed | failed), the ids/time the server filled (so a retry after a
 *   failure republishes byte-identical events) and the stored answer.
 */
export const GATEWAY_DDL = `
  CREATE SCHEMA IF NOT EXISTS gateway;
  CREATE TABLE IF NOT EXISTS gateway.usage_monthly (
    api_key_id  text        NOT NULL,
    month       date        NOT NULL,
    used        bigint      NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_key_id, month)
  );
  CREATE TABLE IF NOT EXISTS gateway.idempotency_keys (
    api_key_id      text        NOT NULL,
    idempotency_key text        NOT NULL,
    fingerprint     text        NOT NULL,
    state           text        NOT NULL CHECK (state IN ('in_progress', 'completed', 'failed')),
    fill_event_ids  text[]      NOT NULL,
    fill_time_ms    bigint      NOT NULL,
    owner           text        NOT NULL,
    status_code     integer,
    response        jsonb,
    locked_until    timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (api_key_id, idempotency_key)
  );
  CREATE INDEX IF NOT EXISTS idempotency_keys_expires_at ON gateway.idempotency_keys (expires_at);
`;

export async function ensureGatewaySchema(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('streamline.gateway.ddl'))");
    await client.query(GATEWAY_DDL);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
