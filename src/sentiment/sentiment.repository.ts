import type pg from 'pg';
import { type CommentAnalyzed } from '../platform/schemas/generated.js';

export type AggregateBucket = 'minute' | 'hour';

export interface AggregateRow {
  /** Start of the bucket (UTC). */
  readonly bucket: Date;
  readonly source: string;
  readonly label: CommentAnalyzed['label'];
  readonly comments: number;
  readonly meanScore: number;
}

export interface AggregateTotal {
  readonly label: CommentAnalyzed['label'];
  readonly comments: number;
  readonly meanScore: number;
}

export interface AggregateQuery {
  readonly from: Date;
  readonly to: Date;
  readonly bucket: AggregateBucket;
  readonly source?: string;
  /** Most rows returned; `truncated` says when more matched. */
  readonly limit: number;
}

/** The epoch used to align buckets: UTC midnight, whatever the session's time zone. */
const ALIGN = "timestamptz '2000-01-01 00:00:00+00'";

const EVENT_COLUMNS = `
  comment_id, event_id::text AS event_id, request_event_id::text AS request_event_id, source,
  label, score, confidence, language, model_version, drivers, entities, token_count, flags,
  floor(extract(epoch FROM submitted_at) * 1000)::bigint AS submitted_ms,
  floor(extract(epoch FROM analyzed_at) * 1000)::bigint AS analyzed_ms`;

interface AnalysisDbRow {
  comment_id: string;
  event_id: string;
  request_event_id: string;
  source: string;
  label: CommentAnalyzed['label'];
  score: number;
  confidence: number;
  language: string;
  model_version: string;
  drivers: string[];
  entities: Record<string, string[]>;
  token_count: number;
  flags: string[];
  submitted_ms: string;
  analyzed_ms: string;
}

function toEvent(r: AnalysisDbRow): CommentAnalyzed {
  return {
    eventId: r.event_id,
    commentId: r.comment_id,
    requestEventId: r.request_event_id,
    source: r.source,
    label: r.label,
    score: r.score,
    confidence: r.confidence,
    language: r.language,
    modelVersion: r.model_version,
    drivers: r.drivers,
    entities: r.entities,
    tokenCount: r.token_count,
    flags: r.flags,
    submittedAt: Number(r.submitted_ms),
    analyzedAt: Number(r.analyzed_ms),
  };
}

/**
 * PostgreSQL access of the sentiment service (schema `sentiment`). Writes are set-based: one
 * statement per chunk stores the analyses and folds the new ones into the per-minute aggregates.
 */
export class SentimentRepository {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Stores the analyses of a chunk (first analysis per commentId wins) and adds the newly stored
   * ones to `aggregates_minute`, atomically (one statement). Returns the commentIds stored now;
   * the others were already there (a redelivery) and were neither stored nor counted again.
   */
  async record(events: readonly CommentAnalyzed[]): Promise<Set<string>> {
    if (events.length === 0) return new Set();
    // Column arrays through unnest: PostgreSQL parses typed arrays several times faster than
    // the same rows as JSON. Driver and flag lists travel as one string each, joined with the
    // unit separator (U+001F), which the sanitizer removes from every text a token comes from.
    const n = events.length;
    const commentIds = new Array<string>(n);
    const eventIds = new Array<string>(n);
    const requestIds = new Array<string>(n);
    const sources = new Array<string>(n);
    const labels = new Array<string>(n);
    const scores = new Array<number>(n);
    const confidences = new Array<number>(n);
    const languages = new Array<string>(n);
    const versions = new Array<string>(n);
    const drivers = new Array<string>(n);
    const entities = new Array<string>(n);
    const tokenCounts = new Array<number>(n);
    const flags = new Array<string>(n);
    const submitted = new Array<number>(n);
    const analyzed = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const e = events[i] as CommentAnalyzed;
      commentIds[i] = e.commentId;
      eventIds[i] = e.eventId;
      requestIds[i] = e.requestEventId;
      sources[i] = e.source;
      labels[i] = e.label;
      scores[i] = e.score;
      confidences[i] = e.confidence;
      languages[i] = e.language;
      versions[i] = e.modelVersion;
      drivers[i] = joinList(e.drivers);
      entities[i] =
        e.entities && Object.keys(e.entities).length > 0 ? JSON.stringify(e.entities) : '{}';
      tokenCounts[i] = e.tokenCount;
      flags[i] = joinList(e.flags);
      submitted[i] = e.submittedAt;
      analyzed[i] = e.analyzedAt;
    }
    const result = await this.pool.query<{ comment_id: string }>(
      `WITH stored AS (
         INSERT INTO sentiment.analyses (comment_id, event_id, request_event_id, source, label,
           score, confidence, language, model_version, drivers, entities, token_count, flags,
           submitted_at, analyzed_at)
         SELECT comment_id, event_id, request_event_id, source, label, score, confidence,
           language, model_version, ${splitList('drivers')}, entities::jsonb, token_count,
           ${splitList('flags')}, to_timestamp(submitted_ms / 1000.0),
           to_timestamp(analyzed_ms / 1000.0)
         FROM unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::float8[],
           $7::float8[], $8::text[], $9::text[], $10::text[], $11::text[], $12::int[],
           $13::text[], $14::float8[], $15::float8[])
           AS t(comment_id, event_id, request_event_id, source, label, score, confidence,
             language, model_version, drivers, entities, token_count, flags, submitted_ms,
             analyzed_ms)
         ON CONFLICT (comment_id) DO NOTHING
         RETURNING comment_id, source, label, score, submitted_at
       ), counted AS (
         INSERT INTO sentiment.aggregates_minute AS a (bucket, source, label, comments, score_sum)
         SELECT date_bin('1 minute', submitted_at, ${ALIGN}), source, label, count(*), sum(score)
         FROM stored
         GROUP BY 1, 2, 3
         ORDER BY 1, 2, 3
         ON CONFLICT (bucket, source, label) DO UPDATE
           SET comments = a.comments + excluded.comments,
               score_sum = a.score_sum + excluded.score_sum
       )
       SELECT comment_id FROM stored`,
      [
        commentIds,
        eventIds,
        requestIds,
        sources,
        labels,
        scores,
        confidences,
        languages,
        versions,
        drivers,
        entities,
        tokenCounts,
        flags,
        submitted,
        analyzed,
      ],
    );
    return new Set(result.rows.map((r) => r.comment_id));
  }

  /** The stored analyses of these comments, as their events. */
  async findMany(commentIds: readonly string[]): Promise<CommentAnalyzed[]> {
    if (commentIds.length === 0) return [];
    const result = await this.pool.query<AnalysisDbRow>(
      `SELECT ${EVENT_COLUMNS} FROM sentiment.analyses WHERE comment_id = ANY($1::text[])`,
      [commentIds],
    );
    return result.rows.map(toEvent);
  }

  async findOne(commentId: string): Promise<CommentAnalyzed | undefined> {
    const [found] = await this.findMany([commentId]);
    return found;
  }

  /** Counts and mean score per bucket, source and label over [from, to) (minute buckets). */
  async aggregates(q: AggregateQuery): Promise<{ rows: AggregateRow[]; truncated: boolean }> {
    const params: unknown[] = [q.from, q.to, q.bucket === 'hour' ? '1 hour' : '1 minute'];
    let filter = '';
    if (q.source !== undefined) {
      params.push(q.source);
      filter = `AND source = $${params.length}`;
    }
    params.push(q.limit + 1);
    const result = await this.pool.query<{
      bucket: Date;
      source: string;
      label: CommentAnalyzed['label'];
      comments: string;
      score_sum: number;
    }>(
      `SELECT date_bin($3::interval, bucket, ${ALIGN}) AS bucket, source, label,
              sum(comments) AS comments, sum(score_sum) AS score_sum
       FROM sentiment.aggregates_minute
       WHERE bucket >= $1 AND bucket < $2 ${filter}
       GROUP BY 1, 2, 3
       ORDER BY 1, 2, 3
       LIMIT $${params.length}`,
      params,
    );
    const rows = result.rows.slice(0, q.limit).map((r) => ({
      bucket: r.bucket,
      source: r.source,
      label: r.label,
      comments: Number(r.comments),
      meanScore: mean(r.score_sum, Number(r.comments)),
    }));
    return { rows, truncated: result.rows.length > q.limit };
  }

  /** Counts and mean score per label over [from, to), optionally for one source. */
  async totals(q: Omit<AggregateQuery, 'bucket' | 'limit'>): Promise<AggregateTotal[]> {
    const params: unknown[] = [q.from, q.to];
    let filter = '';
    if (q.source !== undefined) {
      params.push(q.source);
      filter = 'AND source = $3';
    }
    const result = await this.pool.query<{
      label: CommentAnalyzed['label'];
      comments: string;
      score_sum: number;
    }>(
      `SELECT label, sum(comments) AS comments, sum(score_sum) AS score_sum
       FROM sentiment.aggregates_minute
       WHERE bucket >= $1 AND bucket < $2 ${filter}
       GROUP BY label ORDER BY label`,
      params,
    );
    return result.rows.map((r) => ({
      label: r.label,
      comments: Number(r.comments),
      meanScore: mean(r.score_sum, Number(r.comments)),
    }));
  }

  /** The busiest sources since `since`, most comments first. */
  async topSources(limit: number, since: Date): Promise<string[]> {
    if (limit <= 0) return [];
    const result = await this.pool.query<{ source: string }>(
      `SELECT source FROM sentiment.aggregates_minute WHERE bucket >= $1
       GROUP BY source ORDER BY sum(comments) DESC, source LIMIT $2`,
      [since, limit],
    );
    return result.rows.map((r) => r.source);
  }
}

const SEPARATOR = '\u001f';

/** A list as one string (U+001F-separated); the separator is dropped from the items. */
function joinList(items: readonly string[] | undefined): string {
  if (items === undefined || items.length === 0) return '';
  return items.map((s) => s.replaceAll(SEPARATOR, '')).join(SEPARATOR);
}

/** SQL turning a joined list column back into text[] ('' → empty array). */
function splitList(column: string): string {
  return `CASE WHEN ${column} = '' THEN '{}'::text[] ELSE string_to_array(${column}, E'\\x1f') END`;
}

function mean(sum: number, n: number): number {
  return n === 0 ? 0 : Math.round((sum / n) * 10_000) / 10_000;
}
