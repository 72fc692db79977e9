import type pg from 'pg';
import { type Logger } from 'pino';
import { migrate, type Migration } from '../../platform/database/migrations.js';

/**
 * The sentiment service's schema, applied at boot by the platform's `migrate` (serialised across
 * instances by an advisory lock, one transaction): numbered migrations recorded with their names
 * in `sentiment.schema_migrations`. Add new ones at the end; never edit a released one.
 */
export const SENTIMENT_SCHEMA = 'sentiment';

export const SENTIMENT_MIGRATIONS: readonly (Migration & { readonly name: string })[] = [
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

export async function migrateSentiment(pool: pg.Pool, logger: Logger): Promise<void> {
  const applied = await migrate(pool, SENTIMENT_SCHEMA, SENTIMENT_MIGRATIONS, {
    recordNames: true,
  });
  for (const m of SENTIMENT_MIGRATIONS) {
    if (applied.includes(m.version))
      logger.info({ version: m.version, name: m.name }, 'sentiment migration applied');
  }
}
