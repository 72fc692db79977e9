import { ConfigError, envInt, envOptional, type Env } from '../platform/config/env.js';
import { DEFAULT_MIN_TIMESTAMP_MS } from './domain/avro-validator.js';

/** Gateway settings (on top of the platform's ServiceConfig); errors name the variable. */
export interface GatewayConfig {
  /** Largest body of a single-event route (bytes) → 413 above. */
  readonly maxEventBytes: number;
  /** Largest body of a batch route (bytes) → 413 above; also the HTTP server's body limit. */
  readonly maxBatchBytes: number;
  /** Most events in one batch → 413 above. */
  readonly maxBatchItems: number;
  /** Per-second rate for keys whose `rate_per_second` is null. */
  readonly defaultRatePerSecond: number;
  /** Bucket size in seconds of rate (burst = rate × this, at least 1). */
  readonly rateBurstSeconds: number;
  /** How often local usage counts are written to PostgreSQL. */
  readonly quotaFlushMs: number;
  /** How old a key's known usage may get before it is re-read (other instances write too). */
  readonly quotaRefreshMs: number;
  /** Remaining quota below which every admission is checked in PostgreSQL (exact mode). */
  readonly quotaExactMargin: number;
  readonly idempotencyTtlMs: number;
  /** How long a claimed key stays in progress before another request may take it over. */
  readonly idempotencyLeaseMs: number;
  /** How long a retry waits for an in-progress request with its key before answering 409. */
  readonly idempotencyWaitMs: number;
  /** Broker acknowledgement deadline → 503 after it. */
  readonly publishTimeoutMs: number;
  /** Records waiting for the producer above which requests are shed with 503. */
  readonly publishMaxQueued: number;
  /** Most records per produce request. */
  readonly publishMaxBatch: number;
  readonly minTimestampMs: number;
  readonly maxFutureSkewMs: number;
}

export function loadGatewayConfig(env: Env): GatewayConfig {
  const minTs = envOptional(env, 'GATEWAY_TIMESTAMP_MIN');
  const minTimestampMs = minTs === undefined ? DEFAULT_MIN_TIMESTAMP_MS : Date.parse(minTs);
  if (Number.isNaN(minTimestampMs)) {
    throw new ConfigError('GATEWAY_TIMESTAMP_MIN', `must be an ISO date-time, got "${minTs}"`);
  }
  const maxBatchBytes = envInt(env, 'GATEWAY_MAX_BATCH_BYTES', 1_048_576, {
    min: 1024,
    max: 64 * 1_048_576,
  });
  return {
    maxEventBytes: envInt(env, 'GATEWAY_MAX_EVENT_BYTES', 65_536, { min: 256, max: maxBatchBytes }),
    maxBatchBytes,
    maxBatchItems: envInt(env, 'GATEWAY_MAX_BATCH_ITEMS', 1000, { min: 1, max: 100_000 }),
    defaultRatePerSecond: envInt(env, 'GATEWAY_DEFAULT_RATE_PER_SECOND', 100, { min: 1 }),
    rateBurstSeconds: envInt(env, 'GATEWAY_RATE_BURST_SECONDS', 1, { min: 1, max: 3600 }),
    quotaFlushMs: envInt(env, 'GATEWAY_QUOTA_FLUSH_MS', 1000, { min: 10, max: 60_000 }),
    quotaRefreshMs: envInt(env, 'GATEWAY_QUOTA_REFRESH_MS', 5000, { min: 10 }),
    quotaExactMargin: envInt(env, 'GATEWAY_QUOTA_EXACT_MARGIN', 100, { min: 0 }),
    idempotencyTtlMs: envInt(env, 'GATEWAY_IDEMPOTENCY_TTL_MS', 86_400_000, { min: 1000 }),
    idempotencyLeaseMs: envInt(env, 'GATEWAY_IDEMPOTENCY_LEASE_MS', 30_000, { min: 1000 }),
    idempotencyWaitMs: envInt(env, 'GATEWAY_IDEMPOTENCY_WAIT_MS', 10_000, { min: 0 }),
    publishTimeoutMs: envInt(env, 'GATEWAY_PUBLISH_TIMEOUT_MS', 10_000, { min: 100 }),
    publishMaxQueued: envInt(env, 'GATEWAY_PUBLISH_MAX_QUEUED', 50_000, { min: 1 }),
    publishMaxBatch: envInt(env, 'GATEWAY_PUBLISH_MAX_BATCH', 2000, { min: 1 }),
    minTimestampMs,
    maxFutureSkewMs: envInt(env, 'GATEWAY_TIMESTAMP_MAX_FUTURE_MS', 86_400_000, { min: 0 }),
  };
}
