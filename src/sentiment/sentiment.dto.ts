import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsOptional, IsString, Length } from 'class-validator';
import { type FieldIssue, validateQuery, validationFailed } from '../platform/http/validation.js';
import { type CommentAnalyzed } from '../platform/schemas/generated.js';
import { LIMITS } from './comment-mapping.js';
import { type AggregateBucket } from './sentiment.repository.js';

/**
 * HTTP shapes of the sentiment API and their validation, with the platform's error shape:
 * `400 { statusCode, error, code, message, errors: [{ field, code, message }] }`.
 */

/** Longest range per bucket size (a minute series over a year would be 500k buckets). */
export const MAX_RANGE_MS: Readonly<Record<AggregateBucket, number>> = {
  minute: 24 * 3600 * 1000,
  hour: 31 * 24 * 3600 * 1000,
};
/** Most series rows in one answer; `truncated` says when more matched. */
export const MAX_AGGREGATE_ROWS = 10_000;
const DEFAULT_RANGE_MS = 3600 * 1000;

export class AggregatesQueryDto {
  @ApiPropertyOptional({
    description:
      'Start (inclusive) of the range, ISO 8601; without an offset it is UTC. Default: `to` − 1 hour.',
    example: '2026-11-22T10:00:00Z',
    format: 'date-time',
  })
  @IsOptional()
  @IsString()
  @IsISO8601({ strict: true }, { message: 'from must be an ISO 8601 date-time' })
  from?: string;

  @ApiPropertyOptional({
    description:
      'End (exclusive) of the range, ISO 8601; without an offset it is UTC. Default: now.',
    example: '2026-11-22T11:00:00Z',
    format: 'date-time',
  })
  @IsOptional()
  @IsString()
  @IsISO8601({ strict: true }, { message: 'to must be an ISO 8601 date-time' })
  to?: string;

  @ApiPropertyOptional({
    description: 'Only this source (exact match). Default: every source, each its own series.',
    example: 'app-store',
    maxLength: LIMITS.sourceLength,
  })
  @IsOptional()
  @IsString()
  @Length(1, LIMITS.sourceLength)
  source?: string;

  @ApiPropertyOptional({
    description:
      'Bucket size. minute: range up to 24 hours; hour: up to 31 days. Buckets are UTC-aligned.',
    enum: ['minute', 'hour'],
    default: 'minute',
  })
  @IsOptional()
  @IsIn(['minute', 'hour'])
  bucket?: AggregateBucket;
}

export interface AggregatesRequest {
  readonly from: Date;
  readonly to: Date;
  readonly bucket: AggregateBucket;
  readonly source?: string;
}

function parseInstant(value: string): Date {
  // A date-time without an offset is UTC (not the server's local time).
  const hasTime = value.includes('T');
  const hasOffset = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i.test(value);
  return new Date(hasTime && !hasOffset ? `${value}Z` : value);
}

/** Validates the query string of GET /aggregates; 400 with every field issue. */
export async function parseAggregatesQuery(
  query: unknown,
  now: number = Date.now(),
): Promise<AggregatesRequest> {
  const dto = await validateQuery(AggregatesQueryDto, query);
  const bucket = dto.bucket ?? 'minute';
  const to = dto.to !== undefined ? parseInstant(dto.to) : new Date(now);
  const from =
    dto.from !== undefined ? parseInstant(dto.from) : new Date(to.getTime() - DEFAULT_RANGE_MS);
  const issues: FieldIssue[] = [];
  if (Number.isNaN(from.getTime()))
    issues.push({
      field: 'from',
      code: 'VALIDATION.IS_ISO8601',
      message: 'from is not a valid date',
    });
  if (Number.isNaN(to.getTime()))
    issues.push({ field: 'to', code: 'VALIDATION.IS_ISO8601', message: 'to is not a valid date' });
  if (issues.length === 0) {
    if (to.getTime() <= from.getTime()) {
      issues.push({ field: 'to', code: 'VALIDATION.RANGE', message: 'to must be after from' });
    } else if (to.getTime() - from.getTime() > MAX_RANGE_MS[bucket]) {
      issues.push({
        field: 'from',
        code: 'VALIDATION.RANGE_TOO_LARGE',
        message: `with bucket=${bucket} the range may span at most ${MAX_RANGE_MS[bucket] / 3_600_000} hours`,
      });
    }
  }
  if (issues.length > 0) throw validationFailed(issues);
  return { from, to, bucket, ...(dto.source !== undefined ? { source: dto.source } : {}) };
}

/** Validates the commentId path parameter. */
export function parseCommentId(commentId: unknown): string {
  if (
    typeof commentId !== 'string' ||
    commentId.length === 0 ||
    commentId.length > LIMITS.commentIdLength
  ) {
    throw validationFailed([
      {
        field: 'commentId',
        code: 'VALIDATION.LENGTH',
        message: `commentId must be 1-${LIMITS.commentIdLength} characters`,
      },
    ]);
  }
  return commentId;
}

export class AnalysisView {
  @ApiProperty({ format: 'uuid', description: 'Id of the comments.analyzed event.' })
  eventId!: string;
  @ApiProperty()
  commentId!: string;
  @ApiProperty({ format: 'uuid', description: 'eventId of the CommentSubmitted analysed.' })
  requestEventId!: string;
  @ApiProperty()
  source!: string;
  @ApiProperty({ enum: ['POSITIVE', 'NEGATIVE', 'NEUTRAL'] })
  label!: CommentAnalyzed['label'];
  @ApiProperty({ minimum: -1, maximum: 1, description: 'Polarity: negative to positive.' })
  score!: number;
  @ApiProperty({ minimum: 0, maximum: 1 })
  confidence!: number;
  @ApiProperty({ example: 'en', description: 'ISO 639-1; und when unknown.' })
  language!: string;
  @ApiProperty()
  modelVersion!: string;
  @ApiProperty({ type: [String], description: 'Tokens that drove the decision, strongest first.' })
  drivers!: string[];
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'array', items: { type: 'string' } },
    description: 'Named entities by kind (people, places, organizations) when extracted.',
  })
  entities!: Record<string, string[]>;
  @ApiProperty()
  tokenCount!: number;
  @ApiProperty({
    type: [String],
    description:
      'Input conditions: TRUNCATED, EMPTY, HTML_STRIPPED, CONTROL_CHARS_REMOVED, INVALID_UNICODE_REPLACED, LANGUAGE_DEFAULTED, LANGUAGE_HINT_IGNORED, SOURCE_MISSING, SOURCE_TRUNCATED.',
  })
  flags!: string[];
  @ApiProperty({ format: 'date-time' })
  submittedAt!: string;
  @ApiProperty({ format: 'date-time' })
  analyzedAt!: string;
}

export function toAnalysisView(e: CommentAnalyzed): AnalysisView {
  return {
    eventId: e.eventId,
    commentId: e.commentId,
    requestEventId: e.requestEventId,
    source: e.source,
    label: e.label,
    score: e.score,
    confidence: e.confidence,
    language: e.language,
    modelVersion: e.modelVersion,
    drivers: e.drivers ?? [],
    entities: e.entities ?? {},
    tokenCount: e.tokenCount,
    flags: e.flags ?? [],
    submittedAt: new Date(e.submittedAt).toISOString(),
    analyzedAt: new Date(e.analyzedAt).toISOString(),
  };
}

export class AggregateSeriesView {
  @ApiProperty({ format: 'date-time', description: 'Start of the bucket (UTC).' })
  bucket!: string;
  @ApiProperty()
  source!: string;
  @ApiProperty({ enum: ['POSITIVE', 'NEGATIVE', 'NEUTRAL'] })
  label!: string;
  @ApiProperty({ description: 'Comments analysed (by submittedAt).' })
  comments!: number;
  @ApiProperty({ minimum: -1, maximum: 1 })
  meanScore!: number;
}

export class AggregateTotalView {
  @ApiProperty({ enum: ['POSITIVE', 'NEGATIVE', 'NEUTRAL'] })
  label!: string;
  @ApiProperty()
  comments!: number;
  @ApiProperty({ minimum: -1, maximum: 1 })
  meanScore!: number;
}

export class AggregatesView {
  @ApiProperty({ format: 'date-time' })
  from!: string;
  @ApiProperty({ format: 'date-time' })
  to!: string;
  @ApiProperty({ enum: ['minute', 'hour'] })
  bucket!: AggregateBucket;
  @ApiProperty({ type: String, nullable: true })
  source!: string | null;
  @ApiProperty({ type: [AggregateSeriesView], description: 'Per bucket, source and label.' })
  series!: AggregateSeriesView[];
  @ApiProperty({ type: [AggregateTotalView], description: 'Per label over the whole range.' })
  totals!: AggregateTotalView[];
  @ApiProperty({ description: `True when more than ${MAX_AGGREGATE_ROWS} series rows matched.` })
  truncated!: boolean;
}
