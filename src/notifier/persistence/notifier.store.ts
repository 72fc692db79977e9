import type pg from 'pg';
import { type GroupState, type Notification, type SchedulerChanges } from '../domain/index.js';
import { migrate } from '../../platform/database/migrations.js';
import { inTransaction } from '../../platform/database/transaction.js';
import { NOTIFIER_MIGRATIONS, NOTIFIER_SCHEMA } from './migrations.js';

const S = NOTIFIER_SCHEMA;
export type Tx = pg.PoolClient;

/** Another process took the notifier over: this one must stop writing. */
export class FencedError extends Error {
  constructor(readonly owner: string | null) {
    super(`the notifier state is owned by another instance (${owner ?? 'none'})`);
    this.name = 'FencedError';
  }
}

export interface SubscriptionRow {
  readonly id: string;
  /** The validated subscription without its secret. */
  readonly spec: Record<string, unknown>;
  readonly secret: string | null;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'dead_lettered' | 'cancelled';

export interface DeliveryRow {
  readonly id: string;
  readonly notificationId: string;
  readonly subscriptionId: string;
  readonly receiverType: string;
  readonly groupKey: string;
  readonly status: DeliveryStatus;
  readonly notification: Notification;
  readonly alertCount: number;
  readonly attempts: number;
  readonly createdAt: number;
  readonly nextAttemptAt: number;
  readonly lastAttemptAt: number | null;
  readonly deliveredAt: number | null;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  /** W3C trace context (`traceparent`, `tracestate`) the notification continues; may be empty. */
  readonly traceHeaders: Readonly<Record<string, string>>;
}

export interface AttemptRecord {
  readonly attempt: number;
  readonly at: number;
  readonly outcome: 'delivered' | 'retry' | 'dead_letter';
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly durationMs: number;
  /** For a retry: when the next attempt is due. */
  readonly nextAttemptAt?: number;
  /** For a dead letter: the reason code and message. */
  readonly deadLetter?: { readonly reason: string; readonly message: string };
}

export interface IngestCommit {
  readonly consumed: readonly string[];
  readonly changes: SchedulerChanges;
  readonly notifications: ReadonlyArray<{
    readonly n: Notification;
    readonly receiverType: string;
    /** Trace context to send the notification with. */
    readonly traceHeaders?: Readonly<Record<string, string>>;
  }>;
  readonly extra: ReadonlyArray<(tx: Tx) => Promise<void>>;
}

interface DeliveryDbRow {
  id: string;
  notification_id: string;
  subscription_id: string;
  receiver_type: string;
  group_key: string;
  status: DeliveryStatus;
  notification: Notification;
  /** W3C trace context the notification is delivered with (`{}` when none). */
  trace_headers: Record<string, string>;
  alert_count: number;
  attempts: number;
  created_at: Date;
  next_attempt_at: Date;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
  last_status: number | null;
  last_error: string | null;
}

function toDelivery(r: DeliveryDbRow): DeliveryRow {
  return {
    id: r.id,
    notificationId: r.notification_id,
    subscriptionId: r.subscription_id,
    receiverType: r.receiver_type,
    groupKey: r.group_key,
    status: r.status,
    notification: r.notification,
    alertCount: r.alert_count,
    attempts: r.attempts,
    createdAt: r.created_at.getTime(),
    nextAttemptAt: r.next_attempt_at.getTime(),
    lastAttemptAt: r.last_attempt_at?.getTime() ?? null,
    deliveredAt: r.delivered_at?.getTime() ?? null,
    lastStatus: r.last_status,
    lastError: r.last_error,
    traceHeaders: r.trace_headers,
  };
}

const ts = (ms: number): string => new Date(ms).toISOString();

/** SQL of the notifier service. */
export class NotifierStore {
  constructor(readonly pool: pg.Pool) {}

  async migrate(): Promise<number[]> {
    return migrate(this.pool, S, NOTIFIER_MIGRATIONS);
  }

  async tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, fn);
  }

  async takeOwnership(owner: string): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${S}.owner (singleton, owner) VALUES (true, $1)
       ON CONFLICT (singleton) DO UPDATE SET owner = excluded.owner, since = now()`,
      [owner],
    );
  }

  async checkOwner(tx: Tx, owner: string): Promise<void> {
    const { rows } = await tx.query<{ owner: string }>(
      `SELECT owner FROM ${S}.owner WHERE singleton FOR SHARE`,
    );
    const current = rows[0]?.owner ?? null;
    if (current !== owner) throw new FencedError(current);
  }

  async loadSubscriptions(): Promise<SubscriptionRow[]> {
    const { rows } = await this.pool.query<{
      id: string;
      spec: Record<string, unknown>;
      secret: string | null;
      created_by: string;
      created_at: Date;
      updated_at: Date;
    }>(`SELECT * FROM ${S}.subscriptions ORDER BY id`);
    return rows.map((r) => ({
      id: r.id,
      spec: r.spec,
      secret: r.secret,
      createdBy: r.created_by,
      createdAt: r.created_at.getTime(),
      updatedAt: r.updated_at.getTime(),
    }));
  }

  async loadGroups(): Promise<GroupState[]> {
    const { rows } = await this.pool.query<{ state: GroupState }>(
      `SELECT state FROM ${S}.groups ORDER BY id`,
    );
    return rows.map((r) => r.state);
  }

  /** The ids among `eventIds` that were not ingested before. */
  async unseen(eventIds: readonly string[]): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ event_id: string }>(
      `SELECT event_id FROM ${S}.consumed_events WHERE event_id = ANY($1::uuid[])`,
      [eventIds],
    );
    const seen = new Set(rows.map((r) => r.event_id));
    return new Set(eventIds.filter((id) => !seen.has(id)));
  }

  /**
   * Consumed ids, group changes and new deliveries, atomically: one statement (which also
   * checks ownership), inside a transaction only when there are extra writes.
   */
  async commit(owner: string, c: IngestCommit): Promise<void> {
    const write = async (db: pg.Pool | Tx): Promise<void> => {
      const { rows } = await db.query<{ owner: string | null }>(
        `WITH o AS (SELECT owner FROM ${S}.owner WHERE singleton FOR SHARE),
              mine AS (SELECT 1 FROM o WHERE owner = $1),
              ce AS (
                INSERT INTO ${S}.consumed_events (event_id)
                SELECT e FROM unnest($2::uuid[]) AS e, mine
                ON CONFLICT DO NOTHING RETURNING 1),
              gd AS (
                DELETE FROM ${S}.groups WHERE id = ANY($3::text[]) AND EXISTS (SELECT 1 FROM mine)
                RETURNING 1),
              gu AS (
                INSERT INTO ${S}.groups (id, subscription_id, state)
                SELECT g->>'id', g->>'subscriptionId', g FROM jsonb_array_elements($4::jsonb) AS g, mine
                ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at = now()
                RETURNING 1),
              dv AS (
                INSERT INTO ${S}.deliveries
                  (notification_id, subscription_id, receiver_type, group_key, notification,
                   trace_headers, alert_count, created_at, next_attempt_at)
                SELECT (x->'n'->>'id')::uuid, x->'n'->>'subscriptionId', x->>'t', x->'n'->>'groupKey',
                       x->'n', coalesce(x->'h', '{}'::jsonb),
                       jsonb_array_length(x->'n'->'alerts'),
                       to_timestamp((x->'n'->>'createdAt')::double precision / 1000),
                       to_timestamp((x->'n'->>'createdAt')::double precision / 1000)
                  FROM jsonb_array_elements($5::jsonb) WITH ORDINALITY AS t(x, i), mine
                 ORDER BY i
                ON CONFLICT (notification_id) DO NOTHING
                RETURNING 1)
         SELECT (SELECT owner FROM o) AS owner`,
        [
          owner,
          c.consumed,
          c.changes.deletes,
          JSON.stringify(c.changes.upserts),
          JSON.stringify(
            c.notifications.map((x) => ({ n: x.n, t: x.receiverType, h: x.traceHeaders })),
          ),
        ],
      );
      const current = rows[0]?.owner ?? null;
      if (current !== owner) throw new FencedError(current);
    };
    if (c.extra.length === 0) {
      await write(this.pool);
      return;
    }
    await this.tx(async (tx) => {
      await write(tx); // checks ownership first
      for (const extra of c.extra) await extra(tx);
    });
  }

  static saveSubscription(
    row: Omit<SubscriptionRow, 'createdAt' | 'updatedAt'>,
  ): (tx: Tx) => Promise<void> {
    return async (tx) => {
      await tx.query(
        `INSERT INTO ${S}.subscriptions (id, spec, secret, created_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET spec = excluded.spec, secret = excluded.secret, updated_at = now()`,
        [row.id, JSON.stringify(row.spec), row.secret, row.createdBy],
      );
    };
  }

  static deleteSubscription(id: string): (tx: Tx) => Promise<void> {
    return async (tx) => {
      await tx.query(`DELETE FROM ${S}.subscriptions WHERE id = $1`, [id]);
      await tx.query(
        `UPDATE ${S}.deliveries SET status = 'cancelled', last_error = 'subscription deleted'
          WHERE subscription_id = $1 AND status = 'pending'`,
        [id],
      );
    };
  }

  /** The oldest pending delivery of every aggregation group (each lane's head). */
  async heads(): Promise<
    Array<{ subscriptionId: string; groupKey: string; nextAttemptAt: number }>
  > {
    const { rows } = await this.pool.query<{
      subscription_id: string;
      group_key: string;
      next_attempt_at: Date;
    }>(
      `SELECT DISTINCT ON (subscription_id, group_key) subscription_id, group_key, next_attempt_at
         FROM ${S}.deliveries WHERE status = 'pending' ORDER BY subscription_id, group_key, id`,
    );
    return rows.map((r) => ({
      subscriptionId: r.subscription_id,
      groupKey: r.group_key,
      nextAttemptAt: r.next_attempt_at.getTime(),
    }));
  }

  async head(subscriptionId: string, groupKey: string): Promise<DeliveryRow | null> {
    const { rows } = await this.pool.query<DeliveryDbRow>(
      `SELECT * FROM ${S}.deliveries
        WHERE subscription_id = $1 AND group_key = $2 AND status = 'pending' ORDER BY id LIMIT 1`,
      [subscriptionId, groupKey],
    );
    return rows[0] ? toDelivery(rows[0]) : null;
  }

  /**
   * Records one attempt and its consequence (delivered, retry later, dead letter) in one
   * statement; fails with FencedError when this process no longer owns the queue.
   */
  async recordAttempt(owner: string, d: DeliveryRow, a: AttemptRecord): Promise<void> {
    const status =
      a.outcome === 'delivered' ? 'delivered' : a.outcome === 'retry' ? 'pending' : 'dead_lettered';
    const { rows } = await this.pool.query<{ owned: string }>(
      `WITH o AS (SELECT 1 FROM ${S}.owner WHERE singleton AND owner = $1 FOR SHARE),
            a AS (INSERT INTO ${S}.delivery_attempts
                    (delivery_id, attempt, at, outcome, status_code, error, duration_ms)
                  SELECT $2, $3, $4, $5, $6, $7, $8 FROM o ON CONFLICT DO NOTHING RETURNING 1),
            u AS (UPDATE ${S}.deliveries
                     SET status = $9, attempts = $3, last_attempt_at = $4, last_status = $6,
                         last_error = $7, next_attempt_at = coalesce($10, next_attempt_at),
                         delivered_at = CASE WHEN $9 = 'delivered' THEN $4::timestamptz ELSE delivered_at END
                   WHERE id = $2 AND EXISTS (SELECT 1 FROM o) RETURNING 1),
            d AS (INSERT INTO ${S}.dead_letters
                    (delivery_id, notification_id, subscription_id, reason, message, attempts)
                  SELECT $2, $11, $12, $13, $14, $3 FROM o WHERE $13::text IS NOT NULL
                  ON CONFLICT (delivery_id) DO UPDATE SET reason = excluded.reason,
                     message = excluded.message, attempts = excluded.attempts, created_at = now()
                  RETURNING 1)
       SELECT count(*) AS owned FROM o`,
      [
        owner,
        d.id,
        a.attempt,
        ts(a.at),
        a.outcome,
        a.statusCode,
        a.error,
        a.durationMs,
        status,
        a.nextAttemptAt === undefined ? null : ts(a.nextAttemptAt),
        d.notificationId,
        d.subscriptionId,
        a.deadLetter?.reason ?? null,
        a.deadLetter?.message ?? null,
      ],
    );
    if (rows[0]?.owned !== '1') throw new FencedError(null);
  }

  /** After a success: deliveries of the subscription that were backing off go now. */
  async releaseBackoff(subscriptionId: string, now: number): Promise<number> {
    const res = await this.pool.query(
      `UPDATE ${S}.deliveries SET next_attempt_at = $2
        WHERE subscription_id = $1 AND status = 'pending' AND next_attempt_at > $2`,
      [subscriptionId, ts(now)],
    );
    return res.rowCount ?? 0;
  }

  async cancel(id: string, reason: string): Promise<void> {
    await this.pool.query(
      `UPDATE ${S}.deliveries SET status = 'cancelled', last_error = $2 WHERE id = $1 AND status = 'pending'`,
      [id, reason],
    );
  }

  /** Puts a dead-lettered delivery back in its queue (attempts start over). */
  async requeue(id: string, now: number): Promise<boolean> {
    const res = await this.pool.query(
      `UPDATE ${S}.deliveries SET status = 'pending', attempts = 0, next_attempt_at = $2, created_at = $2
        WHERE id = $1 AND status = 'dead_lettered'`,
      [id, ts(now)],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async listDeliveries(q: {
    subscriptionId?: string;
    statuses: readonly string[];
    limit: number;
    beforeId?: string;
  }): Promise<DeliveryRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    if (q.subscriptionId) where.push(`subscription_id = ${p(q.subscriptionId)}`);
    if (q.statuses.length > 0) where.push(`status = ANY(${p(q.statuses)}::text[])`);
    if (q.beforeId) where.push(`id < ${p(q.beforeId)}::bigint`);
    const { rows } = await this.pool.query<DeliveryDbRow>(
      `SELECT * FROM ${S}.deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY id DESC LIMIT ${p(q.limit)}`,
      params,
    );
    return rows.map(toDelivery);
  }

  async getDelivery(id: string): Promise<{
    delivery: DeliveryRow;
    attempts: Array<Record<string, unknown>>;
    deadLetter: Record<string, unknown> | null;
  } | null> {
    if (!/^\d+$/.test(id)) return null;
    const { rows } = await this.pool.query<DeliveryDbRow>(
      `SELECT * FROM ${S}.deliveries WHERE id = $1`,
      [id],
    );
    if (!rows[0]) return null;
    const attempts = await this.pool.query<Record<string, unknown>>(
      `SELECT attempt, at, outcome, status_code AS "statusCode", error, duration_ms AS "durationMs"
         FROM ${S}.delivery_attempts WHERE delivery_id = $1 ORDER BY attempt`,
      [id],
    );
    const dl = await this.pool.query<Record<string, unknown>>(
      `SELECT reason, message, attempts, created_at AS "createdAt" FROM ${S}.dead_letters WHERE delivery_id = $1`,
      [id],
    );
    return {
      delivery: toDelivery(rows[0]),
      attempts: attempts.rows,
      deadLetter: dl.rows[0] ?? null,
    };
  }

  async listDeadLetters(
    subscriptionId: string | undefined,
    limit: number,
  ): Promise<Array<Record<string, unknown>>> {
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `SELECT delivery_id::text AS "deliveryId", notification_id AS "notificationId",
              subscription_id AS "subscriptionId", reason, message, attempts, created_at AS "createdAt"
         FROM ${S}.dead_letters WHERE ($1::text IS NULL OR subscription_id = $1)
        ORDER BY created_at DESC LIMIT $2`,
      [subscriptionId ?? null, limit],
    );
    return rows;
  }

  async queueDepth(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM ${S}.deliveries WHERE status = 'pending'`,
    );
    return Number(rows[0]?.n ?? 0);
  }

  async housekeep(days: number): Promise<void> {
    await this.pool.query(
      `DELETE FROM ${S}.consumed_events WHERE consumed_at < now() - make_interval(days => $1)`,
      [days],
    );
    await this.pool.query(
      `DELETE FROM ${S}.deliveries WHERE status IN ('delivered', 'cancelled')
          AND created_at < now() - make_interval(days => $1)`,
      [days],
    );
  }
}
