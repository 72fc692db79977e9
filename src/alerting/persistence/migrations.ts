import { type Migration } from '../../platform/database/migrations.js';
import {
  outboxEncodedValueDdl,
  outboxRetryIndexDdl,
  outboxTableDdl,
} from '../../platform/outbox/outbox.writer.js';

/**
 * DDL of the `alerting` schema, applied at boot by the platform's `migrate` (in order, each step
 * once, under an advisory lock). Steps are append-only: never edit a shipped one.
 */
export const ALERTING_SCHEMA = 'alerting';

export const ALERTING_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      ${outboxTableDdl(ALERTING_SCHEMA)}

      -- Every rule set that was ever active, newest = running. document: the rule file shape as
      -- given (file or API); specs: the validated, normalised rules the engine runs.
      CREATE TABLE alerting.rule_sets (
        version     bigint      PRIMARY KEY,
        revision    text        NOT NULL,
        source      text        NOT NULL CHECK (source IN ('file', 'api')),
        document    jsonb       NOT NULL,
        specs       jsonb       NOT NULL,
        file_hash   text,
        created_by  text        NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      );

      -- Engine state: part 'meta' (clock, applied offsets per partition) and 'rule:<id>' (one
      -- evaluator state per rule). Written in the same transaction as alerts and outbox rows.
      CREATE TABLE alerting.engine_state (
        part        text        PRIMARY KEY,
        state       text        NOT NULL,
        updated_at  timestamptz NOT NULL DEFAULT now()
      );

      -- Which process owns the engine state (fencing token): a newer instance takes over, the
      -- older one's next commit fails and it stops consuming.
      CREATE TABLE alerting.engine_owner (
        singleton   boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
        owner       uuid        NOT NULL,
        since       timestamptz NOT NULL DEFAULT now()
      );

      -- One row per alert episode (alert_id); the firing rows are the engine's active alerts.
      CREATE TABLE alerting.alerts (
        alert_id     uuid        PRIMARY KEY,
        fingerprint  text        NOT NULL,
        rule_id      text        NOT NULL,
        severity     text        NOT NULL,
        status       text        NOT NULL CHECK (status IN ('firing', 'resolved')),
        state        text        NOT NULL CHECK (state IN ('firing', 'acknowledged', 'silenced', 'resolved')),
        labels       jsonb       NOT NULL,
        match_count  bigint      NOT NULL,
        starts_at    timestamptz NOT NULL,
        ends_at      timestamptz,
        updated_at   timestamptz NOT NULL DEFAULT now(),
        record       jsonb       NOT NULL
      );
      CREATE INDEX alerts_firing_idx ON alerting.alerts (fingerprint) WHERE status = 'firing';
      CREATE INDEX alerts_state_idx ON alerting.alerts (state, starts_at DESC, alert_id DESC);
      CREATE INDEX alerts_rule_idx ON alerting.alerts (rule_id, starts_at DESC, alert_id DESC);
      CREATE INDEX alerts_starts_idx ON alerting.alerts (starts_at DESC, alert_id DESC);
      CREATE INDEX alerts_labels_idx ON alerting.alerts USING gin (labels jsonb_path_ops);
      CREATE INDEX alerts_resolved_idx ON alerting.alerts (ends_at) WHERE status = 'resolved';

      CREATE TABLE alerting.silences (
        id          text        PRIMARY KEY,
        matchers    jsonb       NOT NULL,
        starts_at   timestamptz NOT NULL,
        ends_at     timestamptz NOT NULL,
        created_by  text        NOT NULL,
        comment     text        NOT NULL DEFAULT '',
        created_at  timestamptz NOT NULL DEFAULT now(),
        expired_by  text,
        updated_at  timestamptz NOT NULL DEFAULT now(),
        CHECK (ends_at > starts_at)
      );
      CREATE INDEX silences_ends_idx ON alerting.silences (ends_at);
    `,
  },
  {
    // Outbox rows may carry their event already encoded (OutboxValueEncoder).
    version: 2,
    sql: outboxEncodedValueDdl(ALERTING_SCHEMA),
  },
  {
    // The relay finds the keys it must hold back (failed rows) through a small partial index.
    version: 3,
    sql: outboxRetryIndexDdl(ALERTING_SCHEMA),
  },
];
