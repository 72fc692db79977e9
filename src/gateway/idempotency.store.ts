import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { namedLogger } from '../platform/logging/logger.js';

/**
 * `Idempotency-Key` semantics (per API key; the same header value from two keys is two keys):
 *
 * 1. The body is parsed and validated first: an invalid request (4xx) never touches the store,
 *    so the client may fix it and retry under the same key.
 * 2. The key is claimed with one `INSERT … ON CONFLICT DO UPDATE … WHERE` statement, BEFORE
 *    anything is published. The row holds the request fingerprint (route + canonical JSON of
 *    the body), state `in_progress`, a lease (`locked_until`), and what the server filled in
 *    (event ids, time), so any later attempt publishes byte-identical events.
 * 3. Only the claimant publishes; then the row becomes `completed` with the answer (status and
 *    body), which every later request with the key gets back (`Idempotent-Replayed: true`).
 * 4. A request whose key is `in_progress` elsewhere waits (in process: on the first request's
 *    promise; across instances: polling the row) up to GATEWAY_IDEMPOTENCY_WAIT_MS, then gets
 *    409 `IDEMPOTENCY.IN_PROGRESS` with Retry-After.
 * 5. Same key with a different fingerprint → 409 `IDEMPOTENCY.KEY_REUSED`.
 * 6. A publish that fails (503) marks the row `failed`; a retry with the same body takes it
 *    over and republishes the SAME event ids. A claimant that died mid-publish leaves an
 *    `in_progress` row; once its lease lapses a retry takes over likewise. In both cases the
 *    broker may have stored the first attempt: consumers de-duplicate on `eventId`.
 * 7. Rows expire after GATEWAY_IDEMPOTENCY_TTL_MS (24 h): then the key is new again.
 */
export type ClaimResult =
  | {
      readonly kind: 'claimed';
      readonly owner: string;
      readonly fillEventIds: readonly string[];
      readonly fillTimeMs: number;
    }
  | { readonly kind: 'replay'; readonly statusCode: number; readonly response: unknown }
  | { readonly kind: 'mismatch' }
  | { readonly kind: 'in_progress' };

export class IdempotencyStore {
  private readonly logger = namedLogger('IdempotencyStore');

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: { ttlMs: number; leaseMs: number },
  ) {}

  async claim(
    apiKeyId: string,
    key: string,
    fingerprint: string,
    fillEventIds: readonly string[],
    fillTimeMs: number,
  ): Promise<ClaimResult> {
    const owner = randomUUID();
    for (let attempt = 0; attempt < 3; attempt++) {
      const claimed = await this.pool.query<{ fill_event_ids: string[]; fill_time_ms: string }>(
        `INSERT INTO gateway.idempotency_keys AS k
           (api_key_id, idempotency_key, fingerprint, state, fill_event_ids, fill_time_ms, owner,
            locked_until, expires_at)
         VALUES ($1, $2, $3, 'in_progress', $4::text[], $5, $6,
                 now() + $7 * interval '1 millisecond', now() + $8 * interval '1 millisecond')
         ON CONFLICT (api_key_id, idempotency_key) DO UPDATE SET
           state = 'in_progress',
           owner = EXCLUDED.owner,
           locked_until = EXCLUDED.locked_until,
           status_code = NULL,
           response = NULL,
           updated_at = now(),
           fingerprint = EXCLUDED.fingerprint,
           fill_event_ids = CASE WHEN k.expires_at <= now() THEN EXCLUDED.fill_event_ids ELSE k.fill_event_ids END,
           fill_time_ms = CASE WHEN k.expires_at <= now() THEN EXCLUDED.fill_time_ms ELSE k.fill_time_ms END,
           created_at = CASE WHEN k.expires_at <= now() THEN now() ELSE k.created_at END,
           expires_at = CASE WHEN k.expires_at <= now() THEN EXCLUDED.expires_at ELSE k.expires_at END
         WHERE k.expires_at <= now()
            OR (k.fingerprint = EXCLUDED.fingerprint
                AND (k.state = 'failed' OR (k.state = 'in_progress' AND k.locked_until < now())))
         RETURNING fill_event_ids, fill_time_ms`,
        [
          apiKeyId,
          key,
          fingerprint,
          fillEventIds,
          fillTimeMs,
          owner,
          this.options.leaseMs,
          this.options.ttlMs,
        ],
      );
      const row = claimed.rows[0];
      if (row) {
        return {
          kind: 'claimed',
          owner,
          fillEventIds: row.fill_event_ids,
          fillTimeMs: Number(row.fill_time_ms),
        };
      }
      const existing = await this.pool.query<{
        fingerprint: string;
        state: string;
        status_code: number | null;
        response: unknown;
      }>(
        `SELECT fingerprint, state, status_code, response FROM gateway.idempotency_keys
         WHERE api_key_id = $1 AND idempotency_key = $2 AND expires_at > now()`,
        [apiKeyId, key],
      );
      const found = existing.rows[0];
      if (!found) continue; // expired or cleaned up in between: claim again
      if (found.fingerprint !== fingerprint) return { kind: 'mismatch' };
      if (found.state === 'completed' && found.status_code !== null) {
        return { kind: 'replay', statusCode: found.status_code, response: found.response };
      }
      if (found.state === 'in_progress') return { kind: 'in_progress' };
      // 'failed' just now: the next claim takes it over.
    }
    return { kind: 'in_progress' };
  }

  async complete(
    apiKeyId: string,
    key: string,
    owner: string,
    statusCode: number,
    response: unknown,
  ): Promise<void> {
    const res = await this.pool.query(
      `UPDATE gateway.idempotency_keys
       SET state = 'completed', status_code = $4, response = $5::jsonb, updated_at = now()
       WHERE api_key_id = $1 AND idempotency_key = $2 AND owner = $3`,
      [apiKeyId, key, owner, statusCode, JSON.stringify(response)],
    );
    if (res.rowCount === 0) {
      this.logger.warn({ apiKeyId }, 'idempotency key was taken over before completion');
    }
  }

  async fail(apiKeyId: string, key: string, owner: string): Promise<void> {
    await this.pool.query(
      `UPDATE gateway.idempotency_keys SET state = 'failed', locked_until = now(), updated_at = now()
       WHERE api_key_id = $1 AND idempotency_key = $2 AND owner = $3 AND state = 'in_progress'`,
      [apiKeyId, key, owner],
    );
  }

  /** Deletes up to `limit` expired rows; returns how many. */
  async deleteExpired(limit = 5000): Promise<number> {
    const res = await this.pool.query(
      `DELETE FROM gateway.idempotency_keys WHERE ctid IN (
         SELECT ctid FROM gateway.idempotency_keys WHERE expires_at <= now() LIMIT $1)`,
      [limit],
    );
    return res.rowCount ?? 0;
  }
}
