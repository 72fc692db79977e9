import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { waitFor } from '../support/wait-for.js';
import { freePort } from '../support/throwaway-servers.js';

/**
 * A test-owned Prometheus (the Debian binary the stack installs) on a free loopback port with a
 * throw-away TSDB, so a test controls what is scraped and how often without touching the
 * stack's Prometheus. Rule files and scrape jobs are the repository's where the test says so.
 */
export interface ScrapeJob {
  readonly job_name: string;
  readonly metrics_path?: string;
  readonly static_configs: Array<{ targets: string[]; labels?: Record<string, string> }>;
}

export interface PrometheusOptions {
  readonly scrapeConfigs: readonly ScrapeJob[];
  /** Absolute paths of rule files. */
  readonly ruleFiles?: readonly string[];
  /** host:port of Alertmanagers to send alerts to. */
  readonly alertmanagers?: readonly string[];
  readonly scrapeInterval?: string;
  readonly evaluationInterval?: string;
  readonly externalLabels?: Record<string, string>;
}

export interface PrometheusProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Instant query; throws on an API error with Prometheus's message. */
  query(expr: string, time?: number): Promise<PromResult>;
  queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<PromResult>;
  stop(): Promise<void>;
  logTail(lines?: number): string;
}

export interface PromSeries {
  readonly metric: Record<string, string>;
  readonly value?: [number, string];
  readonly values?: Array<[number, string]>;
}

export interface PromResult {
  readonly resultType: 'vector' | 'matrix' | 'scalar' | 'string';
  readonly result: PromSeries[] | [number, string];
}

/** A port that was free a moment ago (one helper for every test that starts a server). */
export { freePort };

/** Calls a Prometheus HTTP API endpoint and returns `data`, or throws with its error. */
export async function promApi(
  baseUrl: string,
  path: string,
  params: Record<string, string>,
): Promise<PromResult> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await res.json()) as {
    status: string;
    data?: PromResult;
    error?: string;
    errorType?: string;
  };
  if (body.status !== 'success' || body.data === undefined) {
    throw new Error(
      `Prometheus ${path} failed (${res.status}): ${body.errorType ?? ''} ${body.error ?? ''}`,
    );
  }
  return body.data;
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'streamline-prom-'));
  const port = await freePort();
  const config = {
    global: {
      scrape_interval: options.scrapeInterval ?? '1s',
      scrape_timeout: options.scrapeInterval ?? '1s',
      evaluation_interval: options.evaluationInterval ?? '1s',
      external_labels: options.externalLabels ?? {},
    },
    rule_files: options.ruleFiles ?? [],
    ...(options.alertmanagers && options.alertmanagers.length > 0
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: options.alertmanagers }] }] } }
      : {}),
    scrape_configs: options.scrapeConfigs,
  };
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, stringify(config));
  const logFile = join(dir, 'prometheus.log');
  const log: string[] = [];
  const child = spawn(
    'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) log.push(line);
    if (log.length > 2000) log.splice(0, log.length - 2000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    writeFileSync(logFile, log.join('\n'));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `test Prometheus ready on ${url}`,
      async () => {
        const failed = await Promise.race([spawnError, Promise.resolve(undefined)]);
        if (failed)
          throw new Error(
            `cannot start prometheus: ${failed.message} (npm run stack:up installs it)`,
          );
        if (child.exitCode !== null)
          throw new Error(`prometheus exited: ${log.slice(-10).join('\n')}`);
        const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(2000) }).catch(
          () => undefined,
        );
        return res?.status === 200;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    child,
    query: (expr, time) =>
      promApi(url, '/api/v1/query', { query: expr, ...(time ? { time: String(time) } : {}) }),
    queryRange: (expr, start, end, step) =>
      promApi(url, '/api/v1/query_range', {
        query: expr,
        start: String(start),
        end: String(end),
        step: String(step),
      }),
    stop,
    logTail: (n = 20) => log.slice(-n).join('\n'),
  };
}

/** The repository's prometheus.yml, parsed (scrape jobs, rule file globs). */
export function readRepoPrometheusConfig(root: string): RepoPrometheusConfig {
  return parse(
    readFileSync(join(root, 'prometheus/prometheus.yml'), 'utf8'),
  ) as RepoPrometheusConfig;
}

export interface RepoPrometheusConfig {
  readonly global: { scrape_interval?: string; evaluation_interval?: string };
  readonly rule_files: string[];
  readonly scrape_configs: ScrapeJob[];
}
