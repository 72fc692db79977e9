import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  envBool,
  envInt,
  envList,
  envOptional,
  envString,
  type Env,
} from '../platform/config/env.js';
import { DEFAULT_MAX_CHARS } from './domain/index.js';

/**
 * Settings of the sentiment service beyond the ones every service shares (`ServiceConfig`).
 * Parsed once at boot; every error names the variable to fix.
 */
export interface SentimentServiceConfig {
  /**
   * Model artifact (SENTIMENT_MODEL, default `models/current.json`): either the pointer file
   * `nlp:train` writes (`{ file, modelVersion, sha256 }`, the artifact is resolved next to it and
   * its checksum verified) or an artifact JSON itself. A relative path is resolved against the
   * working directory, then (for the default only) against the repository root.
   */
  readonly modelPath: string;
  /**
   * Classifier worker threads (SENTIMENT_WORKERS, default = CPU cores). 0 classifies on the main
   * thread (also the fallback when the compiled worker file is absent, e.g. under jest).
   */
  readonly workers: number;
  /** Longest text analysed, UTF-16 code units (SENTIMENT_MAX_CHARS); longer is cut and flagged. */
  readonly maxChars: number;
  /**
   * Named entities with compromise's full parse (SENTIMENT_ENTITIES, default false). It costs
   * ~1.3 ms per English comment — about 20× the rest of the pipeline — so it is off on the hot
   * path; with it on, expect roughly 700 comments/s per worker instead of ~15,000.
   */
  readonly entities: boolean;
  /** Longest a classifier task may run before its worker is replaced (SENTIMENT_TASK_TIMEOUT_MS). */
  readonly taskTimeoutMs: number;
  /** Kafka consumer group (SENTIMENT_CONSUMER_GROUP, default `sentiment`). */
  readonly consumerGroup: string;
  /** Most messages of one partition per handler call (SENTIMENT_CHUNK_SIZE, default 1000). */
  readonly chunkSize: number;
  /** Partitions handled at the same time (SENTIMENT_PARTITIONS_CONCURRENTLY, default 6). */
  readonly partitionsConcurrently: number;
  /** Longest a fetch waits for data (SENTIMENT_FETCH_MAX_WAIT_MS, default 20). */
  readonly fetchMaxWaitMs: number;
  /** Fetch size per partition (SENTIMENT_MAX_BYTES_PER_PARTITION, default 1 MiB). */
  readonly maxBytesPerPartition: number;
  /**
   * Cardinality cap of the `source` metric label (SENTIMENT_METRIC_SOURCES_MAX, default 20): at
   * most this many distinct sources get their own label value, every other source is `other`.
   * The slots go first to SENTIMENT_METRIC_SOURCES (comma list, always labelled), then to the
   * busiest sources of the last 7 days in `sentiment.aggregates_minute` at boot, then to new
   * sources in the order they are seen. The database aggregates keep every source.
   */
  readonly metricSourcesMax: number;
  readonly metricSources: readonly string[];
}

export const DEFAULT_MODEL_PATH = 'models/current.json';

/** The repository root: the nearest ancestor of this file holding package.json. */
export function repoRoot(from: string = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

function resolveModelPath(env: Env, cwd: string): string {
  const given = envOptional(env, 'SENTIMENT_MODEL');
  const candidates = given
    ? [path.resolve(cwd, given)]
    : [path.resolve(cwd, DEFAULT_MODEL_PATH), path.resolve(repoRoot(), DEFAULT_MODEL_PATH)];
  const found = candidates.find((p) => existsSync(p));
  if (found === undefined) {
    throw new ConfigError(
      'SENTIMENT_MODEL',
      `points at no file (looked for ${candidates.join(', ')}); set it to a model artifact or models/current.json`,
    );
  }
  return found;
}

export function loadSentimentConfig(env: Env, cwd: string = process.cwd()): SentimentServiceConfig {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : 2;
  return {
    modelPath: resolveModelPath(env, cwd),
    workers: envInt(env, 'SENTIMENT_WORKERS', cores, { min: 0, max: 64 }),
    maxChars: envInt(env, 'SENTIMENT_MAX_CHARS', DEFAULT_MAX_CHARS, { min: 16, max: 1_000_000 }),
    entities: envBool(env, 'SENTIMENT_ENTITIES', false),
    taskTimeoutMs: envInt(env, 'SENTIMENT_TASK_TIMEOUT_MS', 30_000, { min: 100, max: 600_000 }),
    consumerGroup: envString(env, 'SENTIMENT_CONSUMER_GROUP', 'sentiment'),
    chunkSize: envInt(env, 'SENTIMENT_CHUNK_SIZE', 1000, { min: 1, max: 10_000 }),
    partitionsConcurrently: envInt(env, 'SENTIMENT_PARTITIONS_CONCURRENTLY', 6, {
      min: 1,
      max: 64,
    }),
    fetchMaxWaitMs: envInt(env, 'SENTIMENT_FETCH_MAX_WAIT_MS', 20, { min: 0, max: 5000 }),
    maxBytesPerPartition: envInt(env, 'SENTIMENT_MAX_BYTES_PER_PARTITION', 1024 * 1024, {
      min: 64 * 1024,
      max: 64 * 1024 * 1024,
    }),
    metricSourcesMax: envInt(env, 'SENTIMENT_METRIC_SOURCES_MAX', 20, { min: 0, max: 1000 }),
    metricSources: envList(env, 'SENTIMENT_METRIC_SOURCES', []),
  };
}
