import type pg from 'pg';
import { namedLogger } from '../platform/logging/logger.js';
import { secondsToMonthEnd, utcMonth } from './domain/months.js';

/**
 * Monthly usage quota per API key, counted in PostgreSQL (`gateway.usage_monthly`, one row per
 * key per UTC month) without one write per request:
 *
 * - Each instance counts admitted requests in memory (`pending`) and writes them every
 *   `flushMs` with ONE atomic upsert for all keys (`used = used + delta`, RETURNING the new
 *   total, which also brings in what other instances wrote). At 5,000 req/s that is one
 *   statement per second instead of 5,000.
 * - Admission compares `known + pending + 1` with the quota in memory.
 * - Near the limit (remaining ≤ max(GATEWAY_QUOTA_EXACT_MARGIN, rate × flush interval)) every
 *   admission of that key is decided in PostgreSQL by a conditional increment
 *   (`… WHERE used + 1 <= quota`), so concurrent instances cannot both take the last unit.
 *
 * Tolerance: one instance enforces the quota exactly. With N instances, requests admitted by
 * other instances in their unflushed window when the key crossed into exact mode can pass:
 * at most (N − 1) × the key's per-second rate × the flush interval over the quota.
 * A request is charged when admitted (after authentication and the rate limit), whatever its
 * outcome, except that a 5xx (our failure) is refunded. Failures to reach PostgreSQL: the first
 * read of a key and exact-mode decisions fail closed (503); background flushes retry.
 */
export type QuotaDecision =
  | {
      readonly allowed: true;
      readonly used: number;
      readonly limit: number | null;
      readonly resetSeconds: number;
    }
  | {
      readonly allowed: false;
      readonly used: number;
      readonly limit: number;
      readonly resetSeconds: number;
      readonly retryAfterSeconds: number;
    };

export interface UsageMeterOptions {
  readonly flushMs: number;
  readonly refreshMs: number;
  readonly exactMargin: number;
}

interface Counter {
  readonly keyId: string;
  readonly month: string;
  /** Total in PostgreSQL as last seen (our flushed deltas included). */
  known: number;
  /** Admitted here, not written yet (negative after refunds). */
  pending: number;
  /** Exact-mode admissions being decided in PostgreSQL. */
  exactInflight: number;
  /** When `known` was last read or returned by a write; 0 = never. */
  loadedAt: number;
  loading: Promise<void> | undefined;
}

export class QuotaUnavailableError extends Error {
  constructor(cause: unknown) {
    super('usage quota store is unavailable', { cause });
    this.name = 'QuotaUnavailableError';
  }
}

export class UsageMeter {
  private readonly logger = namedLogger('UsageMeter');
  private readonly counters = new Map<string, Counter>();
  /** Serialises every read/write of usage rows, so a flush and a load never interleave. */
  private lock: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: UsageMeterOptions,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => {
      void this.flush().catch(() => undefined);
    }, this.options.flushMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush().catch((err: unknown) =>
      this.logger.warn({ err: String(err) }, 'final usage flush failed'),
    );
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private counter(keyId: string, month: string): Counter {
    const id = `${keyId}\n${month}`;
    let c = this.counters.get(id);
    if (!c) {
      c = { keyId, month, known: 0, pending: 0, exactInflight: 0, loadedAt: 0, loading: undefined };
      this.counters.set(id, c);
    }
    return c;
  }

  private load(c: Counter): Promise<void> {
    c.loading ??= this.exclusive(async () => {
      const res = await this.pool.query<{ used: string }>(
        'SELECT used FROM gateway.usage_monthly WHERE api_key_id = $1 AND month = $2::date',
        [c.keyId, c.month],
      );
      c.known = Number(res.rows[0]?.used ?? 0);
      c.loadedAt = Date.now();
    }).finally(() => {
      c.loading = undefined;
    });
    return c.loading;
  }

  /** Admits one request of `keyId` against `quota` (null = unlimited) and counts it. */
  async admit(
    keyId: string,
    quota: number | null,
    ratePerSecond: number,
    nowMs = Date.now(),
  ): Promise<QuotaDecision> {
    const month = utcMonth(nowMs).key;
    const resetSeconds = secondsToMonthEnd(nowMs);
    const c = this.counter(keyId, month);
    if (quota === null) {
      c.pending += 1;
      return { allowed: true, used: c.known + c.pending, limit: null, resetSeconds };
    }
    try {
      if (c.loadedAt === 0) await this.load(c);
      else if (nowMs - c.loadedAt > this.options.refreshMs && !c.loading) {
        void this.load(c).catch(() => undefined);
      }
    } catch (err) {
      throw new QuotaUnavailableError(err);
    }
    const view = c.known + c.pending + c.exactInflight;
    if (view + 1 > quota) {
      return {
        allowed: false,
        used: view,
        limit: quota,
        resetSeconds,
        retryAfterSeconds: resetSeconds,
      };
    }
    const margin = Math.max(
      this.options.exactMargin,
      Math.ceil((ratePerSecond * this.options.flushMs) / 1000),
    );
    if (quota - view > margin) {
      c.pending += 1;
      return { allowed: true, used: view + 1, limit: quota, resetSeconds };
    }
    c.exactInflight += 1;
    try {
      const used = await this.exclusive(() => this.admitExact(c, quota));
      if (used === undefined) {
        return {
          allowed: false,
          used: c.known + c.pending,
          limit: quota,
          resetSeconds,
          retryAfterSeconds: resetSeconds,
        };
      }
      return { allowed: true, used, limit: quota, resetSeconds };
    } catch (err) {
      throw new QuotaUnavailableError(err);
    } finally {
      c.exactInflight -= 1;
    }
  }

  /** Writes the key's pending count, then takes one unit only if it stays within the quota. */
  private async admitExact(c: Counter, quota: number): Promise<number | undefined> {
    const delta = c.pending;
    if (delta !== 0) {
      const res = await this.pool.query<{ used: string }>(
        `INSERT INTO gateway.usage_monthly AS u (api_key_id, month, used) VALUES ($1, $2::date, $3)
         ON CONFLICT (api_key_id, month) DO UPDATE SET used = u.used + EXCLUDED.used, updated_at = now()
         RETURNING used`,
        [c.keyId, c.month, delta],
      );
      c.pending -= delta;
      c.known = Number(res.rows[0]?.used ?? c.known + delta);
      c.loadedAt = Date.now();
    }
    const res = await this.pool.query<{ used: string }>(
      `INSERT INTO gateway.usage_monthly AS u (api_key_id, month, used)
       SELECT $1, $2::date, 1 WHERE 1 <= $3::bigint
       ON CONFLICT (api_key_id, month) DO UPDATE SET used = u.used + 1, updated_at = now()
         WHERE u.used + 1 <= $3::bigint
       RETURNING used`,
      [c.keyId, c.month, quota],
    );
    const row = res.rows[0];
    if (!row) {
      // Refused: the stored total is at the quota. Remember it, so further requests of this key
      // are refused in memory (no query each) until a refresh shows otherwise.
      c.known = Math.max(c.known, quota);
      c.loadedAt = Date.now();
      return undefined;
    }
    c.known = Number(row.used);
    c.loadedAt = Date.now();
    return c.known;
  }

  /** Gives back one unit (the request failed on our side). */
  refund(keyId: string, nowMs = Date.now()): void {
    this.counter(keyId, utcMonth(nowMs).key).pending -= 1;
  }

  /** Requests counted for `keyId` in `month` (YYYY-MM-01): stored total + this instance's pending. */
  async usage(keyId: string, month: string): Promise<number> {
    const c = this.counters.get(`${keyId}\n${month}`);
    if (c) {
      await this.load(c);
      return c.known + c.pending;
    }
    const res = await this.pool.query<{ used: string }>(
      'SELECT used FROM gateway.usage_monthly WHERE api_key_id = $1 AND month = $2::date',
      [keyId, month],
    );
    return Number(res.rows[0]?.used ?? 0);
  }

  /** Writes every key's pending count in one statement. */
  flush(): Promise<void> {
    return this.exclusive(async () => {
      const batch = [...this.counters.values()].filter((c) => c.pending !== 0);
      const current = utcMonth(Date.now()).key;
      if (batch.length > 0) {
        const deltas = batch.map((c) => c.pending);
        try {
          const res = await this.pool.query<{ api_key_id: string; month: string; used: string }>(
            `INSERT INTO gateway.usage_monthly AS u (api_key_id, month, used)
             SELECT * FROM unnest($1::text[], $2::date[], $3::bigint[])
             ON CONFLICT (api_key_id, month) DO UPDATE SET used = u.used + EXCLUDED.used, updated_at = now()
             RETURNING api_key_id, to_char(month, 'YYYY-MM-DD') AS month, used`,
            [batch.map((c) => c.keyId), batch.map((c) => c.month), deltas],
          );
          const totals = new Map(
            res.rows.map((r) => [`${r.api_key_id}\n${r.month}`, Number(r.used)]),
          );
          const at = Date.now();
          batch.forEach((c, i) => {
            c.pending -= deltas[i] as number;
            const total = totals.get(`${c.keyId}\n${c.month}`);
            if (total !== undefined) {
              c.known = total;
              c.loadedAt = at;
            }
          });
        } catch (err) {
          this.logger.warn(
            { err: String(err), keys: batch.length },
            'usage flush failed; will retry',
          );
          throw err;
        }
      }
      // Past months that are fully written carry nothing more.
      for (const [id, c] of this.counters) {
        if (c.month !== current && c.pending === 0 && c.exactInflight === 0)
          this.counters.delete(id);
      }
    });
  }
}
