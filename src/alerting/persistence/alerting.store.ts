import type pg from 'pg';
import { appendOutbox } from '../../platform/outbox/outbox.writer.js';
import { TOPICS } from '../../platform/messaging/topics.js';
import { type AlertEvent } from '../../platform/schemas/generated.js';
import {
  type AlertRecord,
  type AlertState,
  type LabelMatcher,
  type RuleSpec,
} from '../domain/index.js';
import { EMPTY_META, type EngineMeta, type StateWrite } from '../engine/engine-state.js';
import { migrate } from '../../platform/database/migrations.js';
import { inTransaction } from '../../platform/database/transaction.js';
import { ALERTING_MIGRATIONS, ALERTING_SCHEMA } from './migrations.js';

export type Tx = pg.PoolClient;

/** Another process took the engine over: this one must stop writing. */
export class FencedError extends Error {
  constructor(readonly owner: string | null) {
    super(`the alerting engine is owned by another instance (${owner ?? 'none'})`);
    this.name = 'FencedError';
  }
}

export interface RuleSetRow {
  readonly version: number;
  readonly revision: string;
  readonly source: 'file' | 'api';
  /** The rule file shape ({ version, defaults, rules }) as given. */
  readonly document: Record<string, unknown>;
  readonly specs: RuleSpec[];
  readonly fileHash: string | null;
  readonly createdBy: string;
  readonly createdAt: number;
}

export interface SilenceRow {
  readonly id: string;
  readonly matchers: LabelMatcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
  readonly createdAt: number;
  readonly expiredBy: string | null;
}

export interface LoadedState {
  readonly meta: EngineMeta;
  readonly ruleStates: Map<string, string>;
  readonly firing: AlertRecord[];
  readonly ruleSet: RuleSetRow | null;
  /** file_hash of the newest rule set that came from the file. */
  readonly lastFileHash: string | null;
  readonly silences: SilenceRow[];
}

export interface AlertRow {
  readonly state: AlertState;
  readonly record: AlertRecord;
}

export interface CommitBatch {
  readonly alerts: readonly AlertRow[];
  readonly events: readonly AlertEvent[];
  /** Kafka headers (W3C trace context) of events, by event id; stored on their outbox rows. */
  readonly eventHeaders?: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly write: StateWrite;
  /** Further writes of the same transaction (rule set versions, silences). */
  readonly extra: ReadonlyArray<(tx: Tx) => Promise<void>>;
}

export interface AlertQuery {
  readonly states?: readonly string[];
  readonly severities?: readonly string[];
  readonly rules?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly fingerprint?: string;
  readonly limit: number;
  readonly cursor?: { readonly startsAt: number; readonly alertId: string };
}

const S = ALERTING_SCHEMA;

interface RuleSetDbRow {
  version: string;
  revision: string;
  source: 'file' | 'api';
  document: Record<string, unknown>;
  specs: RuleSpec[];
  file_hash: string | null;
  created_by: string;
  created_at: Date;
}

interface SilenceDbRow {
  id: string;
  matchers: LabelMatcher[];
  starts_at: Date;
  ends_at: Date;
  created_by: string;
  comment: string;
  created_at: Date;
  expired_by: string | null;
}

function toRuleSet(r: RuleSetDbRow): RuleSetRow {
  return {
    version: Number(r.version),
    revision: r.revision,
    source: r.source,
    document: r.document,
    specs: r.specs,
    fileHash: r.file_hash,
    createdBy: r.created_by,
    createdAt: r.created_at.getTime(),
  };
}

function toSilence(r: SilenceDbRow): SilenceRow {
  return {
    id: r.id,
    matchers: r.matchers,
    startsAt: r.starts_at.getTime(),
    endsAt: r.ends_at.getTime(),
    createdBy: r.created_by,
    comment: r.comment,
    createdAt: r.created_at.getTime(),
    expiredBy: r.expired_by,
  };
}

/** SQL of the alerting service. Every engine-visible write goes through `commit`. */
export class AlertingStore {
  constructor(readonly pool: pg.Pool) {}

  async migrate(): Promise<number[]> {
    return migrate(this.pool, S, ALERTING_MIGRATIONS);
  }

  private async tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, fn);
  }

  /**
   * Reads everything the engine is rebuilt from, in one transaction. With `takeOver` this
   * process becomes the owner (waiting for a commit of the previous owner in flight);
   * without, it fails with FencedError when another process owns the state.
   */
  async load(owner: string, takeOver: boolean): Promise<LoadedState> {
    return this.tx(async (tx) => {
      if (takeOver) {
        await tx.query(
          `INSERT INTO ${S}.engine_owner (singleton, owner) VALUES (true, $1)
           ON CONFLICT (singleton) DO UPDATE SET owner = excluded.owner, since = now()`,
          [owner],
        );
      } else {
        await this.checkOwner(tx, owner);
      }
      const parts = await tx.query<{ part: string; state: string }>(
        `SELECT part, state FROM ${S}.engine_state`,
      );
      let meta: EngineMeta = EMPTY_META;
      const ruleStates = new Map<string, string>();
      for (const p of parts.rows) {
        if (p.part === 'meta') meta = JSON.parse(p.state) as EngineMeta;
        else if (p.part.startsWith('rule:')) ruleStates.set(p.part.slice(5), p.state);
      }
      const firing = await tx.query<{ record: AlertRecord }>(
        `SELECT record FROM ${S}.alerts WHERE status = 'firing' ORDER BY starts_at, alert_id`,
      );
      const rs = await tx.query<RuleSetDbRow>(
        `SELECT * FROM ${S}.rule_sets ORDER BY version DESC LIMIT 1`,
      );
      const fh = await tx.query<{ file_hash: string | null }>(
        `SELECT file_hash FROM ${S}.rule_sets WHERE source = 'file' ORDER BY version DESC LIMIT 1`,
      );
      // Silences that can still matter at engine time (the engine prunes ended ones).
      const sil = await tx.query<SilenceDbRow>(
        `SELECT * FROM ${S}.silences WHERE ends_at > to_timestamp($1::double precision / 1000)
          ORDER BY created_at, id`,
        [meta.watermark ?? 0],
      );
      return {
        meta,
        ruleStates,
        firing: firing.rows.map((r) => r.record),
        ruleSet: rs.rows[0] ? toRuleSet(rs.rows[0]) : null,
        lastFileHash: fh.rows[0]?.file_hash ?? null,
        silences: sil.rows.map(toSilence),
      };
    });
  }

  private async checkOwner(tx: Tx, owner: string): Promise<void> {
    const { rows } = await tx.query<{ owner: string }>(
      `SELECT owner FROM ${S}.engine_owner WHERE singleton FOR SHARE`,
    );
    const current = rows[0]?.owner ?? null;
    if (current !== owner) throw new FencedError(current);
  }

  /**
   * One transaction: owner check, extra writes, alert upserts, outbox rows, engine state.
   * Alerts, state and the owner check are one statement; without outbox rows or extra writes
   * that statement is the whole (atomic) commit.
   */
  async commit(owner: string, batch: CommitBatch): Promise<void> {
    const write = async (db: pg.Pool | Tx): Promise<void> => {
      const parts = ['meta', ...batch.write.ruleUpserts.map(([id]) => `rule:${id}`)];
      const states = [
        JSON.stringify(batch.write.meta),
        ...batch.write.ruleUpserts.map(([, json]) => json),
      ];
      const { rows } = await db.query<{ owner: string | null }>(
        `WITH o AS (SELECT owner FROM ${S}.engine_owner WHERE singleton FOR SHARE),
              mine AS (SELECT 1 FROM o WHERE owner = $1),
              al AS (
                INSERT INTO ${S}.alerts AS a
                  (alert_id, fingerprint, rule_id, severity, status, state, labels, match_count,
                   starts_at, ends_at, updated_at, record)
                SELECT (x->'r'->>'alertId')::uuid, x->'r'->>'fingerprint', x->'r'->>'ruleId',
                       x->'r'->>'severity', x->'r'->>'status', x->>'s', x->'r'->'labels',
                       (x->'r'->>'matchCount')::bigint,
                       to_timestamp((x->'r'->>'startsAt')::double precision / 1000),
                       to_timestamp((x->'r'->>'endsAt')::double precision / 1000),
                       now(), x->'r'
                  FROM jsonb_array_elements($2::jsonb) AS x, mine
                ON CONFLICT (alert_id) DO UPDATE
                   SET severity = excluded.severity, status = excluded.status, state = excluded.state,
                       labels = excluded.labels, match_count = excluded.match_count,
                       ends_at = excluded.ends_at, updated_at = now(), record = excluded.record
                RETURNING 1),
              st AS (
                INSERT INTO ${S}.engine_state (part, state)
                SELECT p, v FROM unnest($3::text[], $4::text[]) AS u(p, v), mine
                ON CONFLICT (part) DO UPDATE SET state = excluded.state, updated_at = now()
                RETURNING 1),
              del AS (
                DELETE FROM ${S}.engine_state
                 WHERE part = ANY($5::text[]) AND EXISTS (SELECT 1 FROM mine)
                RETURNING 1)
         SELECT (SELECT owner FROM o) AS owner`,
        [
          owner,
          JSON.stringify(batch.alerts.map((a) => ({ s: a.state, r: a.record }))),
          parts,
          states,
          batch.write.ruleDeletes.map((id) => `rule:${id}`),
        ],
      );
      const current = rows[0]?.owner ?? null;
      if (current !== owner) throw new FencedError(current);
    };
    if (batch.events.length === 0 && batch.extra.length === 0) {
      await write(this.pool);
      return;
    }
    await this.tx(async (tx) => {
      await write(tx); // checks ownership first
      for (const extra of batch.extra) await extra(tx);
      if (batch.events.length > 0) {
        await appendOutbox(
          tx,
          S,
          batch.events.map((e) => ({
            eventId: e.eventId,
            topic: TOPICS.alertEvents.name,
            key: e.fingerprint,
            payload: e as unknown as Record<string, unknown>,
            headers: batch.eventHeaders?.get(e.eventId),
          })),
        );
      }
    });
  }

  static insertRuleSet(row: RuleSetRow): (tx: Tx) => Promise<void> {
    return async (tx) => {
      await tx.query(
        `INSERT INTO ${S}.rule_sets
           (version, revision, source, document, specs, file_hash, created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::double precision / 1000))`,
        [
          row.version,
          row.revision,
          row.source,
          JSON.stringify(row.document),
          JSON.stringify(row.specs),
          row.fileHash,
          row.createdBy,
          row.createdAt,
        ],
      );
    };
  }

  static upsertSilence(row: SilenceRow): (tx: Tx) => Promise<void> {
    return async (tx) => {
      await tx.query(
        `INSERT INTO ${S}.silences
           (id, matchers, starts_at, ends_at, created_by, comment, created_at, expired_by)
         VALUES ($1, $2, to_timestamp($3::double precision / 1000),
                 to_timestamp($4::double precision / 1000), $5, $6,
                 to_timestamp($7::double precision / 1000), $8)
         ON CONFLICT (id) DO UPDATE SET ends_at = excluded.ends_at,
                 expired_by = excluded.expired_by, updated_at = now()`,
        [
          row.id,
          JSON.stringify(row.matchers),
          row.startsAt,
          row.endsAt,
          row.createdBy,
          row.comment,
          row.createdAt,
          row.expiredBy,
        ],
      );
    };
  }

  async listAlerts(q: AlertQuery): Promise<AlertRecordWithState[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown): string => {
      params.push(v);
      return `$${params.length}`;
    };
    if (q.states && q.states.length > 0) {
      const states = q.states.filter((s) => s !== 'active');
      const parts: string[] = [];
      if (states.length > 0) parts.push(`state = ANY(${p(states)}::text[])`);
      if (q.states.includes('active')) parts.push(`status = 'firing'`);
      where.push(`(${parts.join(' OR ')})`);
    }
    if (q.severities && q.severities.length > 0)
      where.push(`severity = ANY(${p(q.severities)}::text[])`);
    if (q.rules && q.rules.length > 0) where.push(`rule_id = ANY(${p(q.rules)}::text[])`);
    if (q.labels && Object.keys(q.labels).length > 0)
      where.push(`labels @> ${p(JSON.stringify(q.labels))}::jsonb`);
    if (q.fingerprint) where.push(`fingerprint = ${p(q.fingerprint)}`);
    if (q.cursor) {
      where.push(
        `(starts_at, alert_id) < (to_timestamp(${p(q.cursor.startsAt)}::double precision / 1000), ${p(q.cursor.alertId)}::uuid)`,
      );
    }
    const sql = `SELECT state, record, extract(epoch from updated_at) * 1000 AS updated_ms
                   FROM ${S}.alerts ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
                  ORDER BY starts_at DESC, alert_id DESC LIMIT ${p(q.limit)}`;
    const { rows } = await this.pool.query<{
      state: AlertState;
      record: AlertRecord;
      updated_ms: string;
    }>(sql, params);
    return rows.map((r) => ({ state: r.state, record: r.record, storedAt: Number(r.updated_ms) }));
  }

  /** By alert id, or the firing alert with this fingerprint. */
  async getAlert(idOrFingerprint: string): Promise<AlertRecordWithState | null> {
    const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(
      idOrFingerprint,
    );
    const { rows } = await this.pool.query<{
      state: AlertState;
      record: AlertRecord;
      updated_ms: string;
    }>(
      isUuid
        ? `SELECT state, record, extract(epoch from updated_at) * 1000 AS updated_ms FROM ${S}.alerts WHERE alert_id = $1::uuid`
        : `SELECT state, record, extract(epoch from updated_at) * 1000 AS updated_ms FROM ${S}.alerts WHERE fingerprint = $1
            ORDER BY (status = 'firing') DESC, starts_at DESC LIMIT 1`,
      [idOrFingerprint],
    );
    const r = rows[0];
    return r ? { state: r.state, record: r.record, storedAt: Number(r.updated_ms) } : null;
  }

  async listSilences(state: 'active' | 'pending' | 'expired' | null): Promise<SilenceRow[]> {
    const cond =
      state === 'active'
        ? 'WHERE starts_at <= now() AND ends_at > now()'
        : state === 'pending'
          ? 'WHERE starts_at > now()'
          : state === 'expired'
            ? 'WHERE ends_at <= now()'
            : '';
    const { rows } = await this.pool.query<SilenceDbRow>(
      `SELECT * FROM ${S}.silences ${cond} ORDER BY ends_at DESC, id LIMIT 1000`,
    );
    return rows.map(toSilence);
  }

  async getSilence(id: string): Promise<SilenceRow | null> {
    const { rows } = await this.pool.query<SilenceDbRow>(
      `SELECT * FROM ${S}.silences WHERE id = $1`,
      [id],
    );
    return rows[0] ? toSilence(rows[0]) : null;
  }

  async listRuleSets(
    limit: number,
  ): Promise<Array<Omit<RuleSetRow, 'document' | 'specs'> & { ruleCount: number }>> {
    const { rows } = await this.pool.query<RuleSetDbRow & { rule_count: number }>(
      `SELECT version, revision, source, file_hash, created_by, created_at,
              jsonb_array_length(specs) AS rule_count, '{}'::jsonb AS document, '[]'::jsonb AS specs
         FROM ${S}.rule_sets ORDER BY version DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => {
      const { document: _d, specs: _s, ...rest } = toRuleSet(r);
      return { ...rest, ruleCount: r.rule_count };
    });
  }

  async getRuleSet(version: number): Promise<RuleSetRow | null> {
    const { rows } = await this.pool.query<RuleSetDbRow>(
      `SELECT * FROM ${S}.rule_sets WHERE version = $1`,
      [version],
    );
    return rows[0] ? toRuleSet(rows[0]) : null;
  }

  /** Deletes resolved alerts and ended silences older than the retention. */
  async housekeep(retentionDays: number): Promise<{ alerts: number; silences: number }> {
    const a = await this.pool.query(
      `DELETE FROM ${S}.alerts WHERE status = 'resolved' AND updated_at < now() - make_interval(days => $1)`,
      [retentionDays],
    );
    const s = await this.pool.query(
      `DELETE FROM ${S}.silences WHERE ends_at < now() - make_interval(days => $1)`,
      [retentionDays],
    );
    return { alerts: a.rowCount ?? 0, silences: s.rowCount ?? 0 };
  }
}

export interface AlertRecordWithState {
  readonly state: AlertState;
  readonly record: AlertRecord;
  /** When the row was last written (wall clock). */
  readonly storedAt: number;
}
