import type pg from 'pg';
import { type Logger } from 'pino';

/**
 * The sentiment service's schema, applied at boot (serialised across instances by an advisory
 * lock, one transaction): numbered migrations recorded in `sentiment.schema_migrations`. Add new
 * ones at the end; never edit a released one.
 */
export interface SentimentMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const SENTIMENT_MIGRATIONS: readonly SentimentMigration[] = [
  {
    version: 1,
    name: 'analyses and per-minute aggregates',
    sql: `
      -- One analysis per comment, keyed by the caller's commentId (the idempotency key): the
      -- first analysis stored wins, and a redelivered comment is answered from this row. It
      -- holds every field of the comments.analyzed event, so a re-published event is identical.
      CREATE TABLE sentiment.analyses (
        comment_id       text COLLATE "C" PRIMARY KEY,
        event_id         uuid             NOT NULL,
        request_event_id uuid             NOT NULL,
        source           text             NOT NULL,
        label            text             NOT NULL CHECK (label IN ('POSITIVE', 'NEGATIVE', 'NEUTRAL')),
        score            double precision NOT NULL CHECK (score BETWEEN -1 AND 1),
        confidence       double precision NOT NULL CHECK (confidence BETWEEN 0 AND 1),
        language         text             NOT NULL,
        model_version    text             NOT NULL,
        drivers          text[]           NOT NULL DEFAULT '{}',
        entities         jsonb            NOT NULL DEFAULT '{}'::jsonb,
        token_count      integer          NOT NULL CHECK (token_count >= 0),
        flags            text[]           NOT NULL DEFAULT '{}',
        submitted_at     timestamptz      NOT NULL,
        analyzed_at      timestamptz      NOT NULL
      );

      -- Counts and score sums per minute (of submittedAt, UTC), source and label. Updated in the
      -- same statement that inserts the analyses, for newly inserted ones only, so a redelivered
      -- comment is never counted twice. Mean score = score_sum / comments.
      CREATE TABLE sentiment.aggregates_minute (
        bucket    timestamptz      NOT NULL,
        source    text COLLATE "C" NOT NULL,
        label     text             NOT NULL CHECK (label IN ('POSITIVE', 'NEGATIVE', 'NEUTRAL')),
        comments  bigint           NOT NULL CHECK (comments > 0),
        score_sum double precision NOT NULL,
        PRIMARY KEY (bucket, source, label)
      );
    `,
  },
];

const LOCK_KEY = 'streamline.sentiment.ddl';

export async function migrateSentiment(pool: pg.Pool, logger: Logger): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [LOCK_KEY]);
    await client.query(`
      CREATE SCHEMA IF NOT EXISTS sentiment;
      CREATE TABLE IF NOT EXISTS sentiment.schema_migrations (
        version    integer PRIMARY KEY,
        name       text        NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
      );
    `);
    const applied = await client.query<{ version: number }>(
      'SELECT version FROM sentiment.schema_migrations',
    );
    const done = new Set(applied.rows.map((r) => r.version));
    for (const m of SENTIMENT_MIGRATIONS) {
      if (done.has(m.version)) continue;
      await client.query(m.sql);
      await client.query(
        'INSERT INTO sentiment.schema_migrations (version, name) VALUES ($1, $2)',
        [m.version, m.name],
      );
      logger.info({ version: m.version, name: m.name }, 'sentiment migration applied');
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
