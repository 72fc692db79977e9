import { isAbsolute, resolve } from 'node:path';
import { envBool, envInt, envString, type Env } from '../platform/config/env.js';
import { ENGINE_DEFAULTS, type EngineOptions } from './domain/index.js';

/** Settings of the alerting service (beyond the platform's), parsed once at boot. */
export interface AlertingSettings {
  /** Rule file (YAML), watched and reloaded without restart. */
  readonly rulesFile: string;
  /** Fallback poll of the rule file, ms (fs.watch misses edits on some file systems). */
  readonly rulesPollMs: number;
  /** Wall-clock tick (flatline, resolution, silence expiry) once caught up; 0 disables it. */
  readonly tickIntervalMs: number;
  /**
   * A partition also counts as caught up when its last applied record was produced at most
   * this long ago (under steady traffic the end is never reached exactly); 0 = only at its end.
   */
  readonly caughtUpDelayMs: number;
  readonly engine: Required<EngineOptions>;
  /** Lines per handler call (one transaction per group of calls). */
  readonly chunkSize: number;
  /**
   * Decode and match log lines on a worker thread (false: on the consumer's thread). The
   * worker takes Avro decoding and matching off the thread that runs kafkajs and the engine.
   */
  readonly matchWorker: boolean;
  /** Partitions of logs.lines processed concurrently (they share one engine and its commits). */
  readonly partitionsConcurrently: number;
  /** kafkajs consumers in the group (one fetches while the other's batches are processed). */
  readonly consumers: number;
  /** Bytes fetched per partition per request (bigger: fewer fetch/commit cycles). */
  readonly fetchMaxBytesPerPartition: number;
  readonly fetchMaxWaitMs: number;
  readonly groupId: string;
  /** Resolved alerts are deleted after this many days. */
  readonly resolvedRetentionDays: number;
}

export function loadAlertingSettings(env: Env): AlertingSettings {
  const file = envString(env, 'ALERT_RULES_FILE', 'config/alert-rules.default.yaml');
  return {
    // Relative to the working directory (the repository root when run as documented).
    rulesFile: isAbsolute(file) ? file : resolve(process.cwd(), file),
    rulesPollMs: envInt(env, 'ALERT_RULES_POLL_MS', 2000, { min: 100 }),
    tickIntervalMs: envInt(env, 'ALERT_TICK_INTERVAL_MS', 1000, { min: 0, max: 60_000 }),
    caughtUpDelayMs: envInt(env, 'ALERT_CAUGHT_UP_DELAY_MS', 2000, { min: 0, max: 60_000 }),
    engine: {
      maxLineLength: envInt(env, 'ALERT_MAX_LINE_LENGTH', ENGINE_DEFAULTS.maxLineLength, {
        min: 256,
        max: 1_048_576,
      }),
      evidenceLines: envInt(env, 'ALERT_EVIDENCE_LINES', ENGINE_DEFAULTS.evidenceLines, {
        min: 1,
        max: 50,
      }),
      evidenceMessageMax: envInt(
        env,
        'ALERT_EVIDENCE_MESSAGE_MAX',
        ENGINE_DEFAULTS.evidenceMessageMax,
        { min: 64, max: 65_536 },
      ),
      evalIntervalMs: envInt(env, 'ALERT_EVAL_INTERVAL_MS', ENGINE_DEFAULTS.evalIntervalMs, {
        min: 100,
        max: 60_000,
      }),
      maxFutureSkewMs: envInt(env, 'ALERT_MAX_FUTURE_SKEW_MS', ENGINE_DEFAULTS.maxFutureSkewMs, {
        min: 0,
      }),
    },
    chunkSize: envInt(env, 'ALERTING_CHUNK_SIZE', 10_000, { min: 1, max: 100_000 }),
    matchWorker: envBool(env, 'ALERTING_MATCH_WORKER', true),
    partitionsConcurrently: envInt(env, 'ALERTING_PARTITIONS_CONCURRENTLY', 6, {
      min: 1,
      max: 64,
    }),
    consumers: envInt(env, 'ALERTING_CONSUMERS', 2, { min: 1, max: 16 }),
    fetchMaxBytesPerPartition: envInt(env, 'ALERTING_FETCH_MAX_BYTES_PER_PARTITION', 2_097_152, {
      min: 65_536,
      max: 67_108_864,
    }),
    fetchMaxWaitMs: envInt(env, 'ALERTING_FETCH_MAX_WAIT_MS', 50, { min: 1, max: 5000 }),
    groupId: envString(env, 'ALERTING_GROUP_ID', 'alerting'),
    resolvedRetentionDays: envInt(env, 'ALERTING_RESOLVED_RETENTION_DAYS', 30, { min: 1 }),
  };
}

/**
 * Alerting's defaults for platform knobs it cannot pass as options (the outbox relay reads them
 * from the environment); an explicit setting always wins.
 *
 * OUTBOX_POLL_INTERVAL_MS: the relay is woken by NOTIFY, but a notification that arrives while a
 * lane is publishing is not remembered, so under steady load a lane may sleep until the poll
 * fallback (platform default 1000 ms) — that was most of the line → webhook p99.
 * OUTBOX_RELAY_LANES: alert events are few; two lanes keep per-fingerprint order with less
 * database chatter than the default four.
 */
export function applyAlertingPlatformDefaults(env: NodeJS.ProcessEnv): void {
  env.OUTBOX_POLL_INTERVAL_MS ??= '100';
  env.OUTBOX_RELAY_LANES ??= '2';
}
