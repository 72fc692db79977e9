import { type Migration } from '../../platform/database/migrations.js';

/**
 * DDL of the `notifier` schema, applied at boot by the platform's `migrate` (in order, each step
 * once, under an advisory lock). Steps are append-only: never edit a shipped one.
 */
export const NOTIFIER_SCHEMA = 'notifier';

export const NOTIFIER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
      -- Subscriptions; the webhook secret is kept apart, sealed (see SecretBox), never returned.
      CREATE TABLE notifier.subscriptions (
        id          text        PRIMARY KEY,
        spec        jsonb       NOT NULL,
        secret      text,
        created_by  text        NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now(),
        updated_at  timestamptz NOT NULL DEFAULT now()
      );

      -- Alert events already ingested (Kafka delivers at least once).
      CREATE TABLE notifier.consumed_events (
        event_id     uuid        PRIMARY KEY,
        consumed_at  timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX consumed_events_at_idx ON notifier.consumed_events (consumed_at);

      -- Aggregation groups of the scheduler (group_wait / group_interval / repeat_interval state).
      CREATE TABLE notifier.groups (
        id               text        PRIMARY KEY,
        subscription_id  text        NOT NULL,
        state            jsonb       NOT NULL,
        updated_at       timestamptz NOT NULL DEFAULT now()
      );

      -- The durable delivery queue and log: one row per notification. Pending rows of one
      -- aggregation group (subscription, group_key) are delivered in id order, one at a time;
      -- different groups are delivered concurrently (as Alertmanager does).
      CREATE TABLE notifier.deliveries (
        id               bigserial   PRIMARY KEY,
        notification_id  uuid        NOT NULL UNIQUE,
        subscription_id  text        NOT NULL,
        receiver_type    text        NOT NULL,
        group_key        text        NOT NULL,
        status           text        NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'delivered', 'dead_lettered', 'cancelled')),
        notification     jsonb       NOT NULL,
        alert_count      integer     NOT NULL,
        attempts         integer     NOT NULL DEFAULT 0,
        created_at       timestamptz NOT NULL,
        next_attempt_at  timestamptz NOT NULL,
        last_attempt_at  timestamptz,
        delivered_at     timestamptz,
        last_status      integer,
        last_error       text
      );
      CREATE INDEX deliveries_pending_idx ON notifier.deliveries (subscription_id, group_key, id) WHERE status = 'pending';
      CREATE INDEX deliveries_subscription_idx ON notifier.deliveries (subscription_id, id DESC);
      CREATE INDEX deliveries_status_idx ON notifier.deliveries (status, id DESC);

      CREATE TABLE notifier.delivery_attempts (
        delivery_id  bigint      NOT NULL REFERENCES notifier.deliveries (id) ON DELETE CASCADE,
        attempt      integer     NOT NULL,
        at           timestamptz NOT NULL,
        outcome      text        NOT NULL,
        status_code  integer,
        error        text,
        duration_ms  integer     NOT NULL,
        PRIMARY KEY (delivery_id, attempt)
      );

      -- Deliveries given up on, with the reason (DELIVERY.*): the dead-letter record.
      CREATE TABLE notifier.dead_letters (
        delivery_id      bigint      PRIMARY KEY REFERENCES notifier.deliveries (id) ON DELETE CASCADE,
        notification_id  uuid        NOT NULL,
        subscription_id  text        NOT NULL,
        reason           text        NOT NULL,
        message          text        NOT NULL,
        attempts         integer     NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX dead_letters_subscription_idx ON notifier.dead_letters (subscription_id, created_at DESC);

      -- Fencing token: the process that owns scheduler state and delivery queue.
      CREATE TABLE notifier.owner (
        singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
        owner      uuid        NOT NULL,
        since      timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    // The trace context a notification is delivered with gets a column of its own (it was kept
    // inside the notification document under "_traceHeaders"); rows written before move over.
    version: 2,
    sql: `
      ALTER TABLE notifier.deliveries ADD COLUMN trace_headers jsonb NOT NULL DEFAULT '{}'::jsonb;
      UPDATE notifier.deliveries
         SET trace_headers = notification->'_traceHeaders',
             notification = notification - '_traceHeaders'
       WHERE notification ? '_traceHeaders';
    `,
  },
];
