import { TOPICS } from '../platform/messaging/topics.js';
import {
  SCHEMA_TEXTS,
  type CommentSubmitted,
  type LogLine,
  type SchemaName,
  type TransferRequested,
} from '../platform/schemas/generated.js';
import {
  compileValidator,
  type CompiledValidator,
  type Fills,
  type ValidationOptions,
} from './domain/avro-validator.js';
import { avroToJsonSchema, type JsonSchema } from './domain/json-schema.js';

/**
 * What each ingest route accepts and where it goes. The schema is the topic's value schema from
 * the catalog; the Kafka key is the field the catalog names (it decides ordering).
 *
 * Server-filled fields (when the client omits them): `eventId` (a random UUID v4) on every
 * stream, plus the time field: `requestedAt` (transfers), `timestamp` (log lines),
 * `submittedAt` (comments) — the gateway's clock at admission. Fields with an Avro default
 * (`kind`, nullable fields, `metadata`/`fields` maps) take that default.
 */
export interface StreamSpec<T> {
  readonly name: 'transfers' | 'logs' | 'comments';
  readonly scope: string;
  readonly topic: string;
  readonly schema: SchemaName;
  readonly fills: Fills;
  readonly keyOf: (value: T) => string;
  readonly eventIdOf: (value: T) => string;
}

const eventId: Fills[string] = (ctx) => ctx.eventId();
const now: Fills[string] = (ctx) => ctx.now;

export const TRANSFERS: StreamSpec<TransferRequested> = {
  name: 'transfers',
  scope: 'transfers:publish',
  topic: TOPICS.transfersRequested.name,
  schema: TOPICS.transfersRequested.valueSchema,
  fills: { eventId, requestedAt: now },
  keyOf: (v) => v.transferId,
  eventIdOf: (v) => v.eventId,
};

export const LOGS: StreamSpec<LogLine> = {
  name: 'logs',
  scope: 'logs:publish',
  topic: TOPICS.logLines.name,
  schema: TOPICS.logLines.valueSchema,
  fills: { eventId, timestamp: now },
  keyOf: (v) => v.source,
  eventIdOf: (v) => v.eventId,
};

export const COMMENTS: StreamSpec<CommentSubmitted> = {
  name: 'comments',
  scope: 'comments:publish',
  topic: TOPICS.commentsSubmitted.name,
  schema: TOPICS.commentsSubmitted.valueSchema,
  fills: { eventId, submittedAt: now },
  keyOf: (v) => v.commentId,
  eventIdOf: (v) => v.eventId,
};

export const GATEWAY_SCOPES = [TRANSFERS.scope, LOGS.scope, COMMENTS.scope] as const;

export function validatorFor<T>(
  spec: StreamSpec<T>,
  options: ValidationOptions,
): CompiledValidator<T> {
  return compileValidator<T>(SCHEMA_TEXTS[spec.schema], spec.fills, options);
}

export function requestSchemaOf<T>(spec: StreamSpec<T>): JsonSchema {
  return avroToJsonSchema(SCHEMA_TEXTS[spec.schema], Object.keys(spec.fills));
}
