import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { pino } from 'pino';
import { type AlertEvent, type LogLine } from '../../src/platform/schemas/generated.js';
import { bootstrapTopics } from '../../src/platform/messaging/bootstrap.js';
import { EventPublisher } from '../../src/platform/messaging/publisher.js';
import { allTopicSpecs, physicalTopic, TOPICS } from '../../src/platform/messaging/topics.js';
import { runService, type RunningService } from '../../src/platform/service/run-service.js';
import { loadServiceConfig } from '../../src/platform/service/service-config.js';
import {
  applyAlertingPlatformDefaults,
  loadAlertingSettings,
} from '../../src/alerting/alerting.config.js';
import { alertingAppModule } from '../../src/alerting/alerting.module.js';
import { loadNotifierSettings } from '../../src/notifier/notifier.config.js';
import { notifierAppModule } from '../../src/notifier/notifier.module.js';
import { apiKeysDdl, createApiKey } from '../../src/platform/auth/api-keys.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestPlatform, readAll, type TestPlatform, uniqueName } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';

/**
 * Shared by the test/e2e/alerts-*.int-spec.ts suites: the alerting and notifier services run
 * in-process (real Kafka, registry, PostgreSQL; their own topic prefix and database), a
 * loopback webhook receiver, and helpers to produce log lines and read alert events.
 */
export const ALL_SCOPES = [
  'alerts:read',
  'alerts:write',
  'notifications:read',
  'notifications:write',
];

// In-process services log through the platform's root logger; keep test output readable.
process.env.LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'warn';

export async function startAlerting(
  env: Record<string, string>,
  clock?: () => number,
): Promise<RunningService> {
  // The outbox relay reads its settings from process.env itself.
  applyAlertingPlatformDefaults(process.env);
  const merged = { ...process.env, HTTP_PORT: '0', ...env };
  const config = loadServiceConfig(merged, 'alerting', 0);
  const settings = loadAlertingSettings(merged);
  return runService(alertingAppModule(config, settings, clock ? { clock } : {}), {
    config,
    title: 'alerting',
    description: 'test',
    handleSignals: false,
  });
}

export async function startNotifier(env: Record<string, string>): Promise<RunningService> {
  const merged = { ...process.env, HTTP_PORT: '0', ...env };
  const config = loadServiceConfig(merged, 'notifier', 0);
  const settings = loadNotifierSettings(merged);
  return runService(notifierAppModule(config, settings), {
    config,
    title: 'notifier',
    description: 'test',
    handleSignals: false,
  });
}

/** Creates every catalog topic under `prefix` (what a service does at boot). */
/**
 * What an alerting suite runs against: its own database, topic prefix (topics bootstrapped),
 * consumer group and rule file, plus an API key with every scope. `env()` points an alerting
 * service at them; `writeRules` replaces the rule file as editors do (write aside, rename over).
 */
export interface AlertingSuite {
  readonly db: TestDatabase;
  readonly pool: pg.Pool;
  readonly p: TestPlatform;
  readonly prefix: string;
  readonly key: string;
  env(): Record<string, string>;
  writeRules(text: string): void;
  close(): Promise<void>;
}

export async function alertingSuite(
  label: string,
  rules: string,
  extraEnv: Record<string, string> = {},
): Promise<AlertingSuite> {
  const prefix = `${uniqueName(label)}.`;
  const file = join(mkdtempSync(join(tmpdir(), `alerts-${label}-`)), 'rules.yaml');
  const writeRules = (text: string): void => {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  };
  writeRules(rules);
  const db = await createTestDatabase(label);
  const pool = db.pool(2);
  const p = await createTestPlatform();
  await bootstrap(p, prefix);
  await pool.query(apiKeysDdl()); // the service creates it too, idempotently
  const key = (await createApiKey(pool, { name: label, scopes: ALL_SCOPES })).key;
  return {
    db,
    pool,
    p,
    prefix,
    key,
    env: () => ({
      DATABASE_URL: db.url,
      KAFKA_TOPIC_PREFIX: prefix,
      ALERTING_GROUP_ID: `${prefix}alerting`,
      ALERT_RULES_FILE: file,
      ALERT_TICK_INTERVAL_MS: '200',
      ...extraEnv,
    }),
    writeRules,
    async close(): Promise<void> {
      await p.close();
      await pool.end();
      await db.drop();
    },
  };
}

export async function bootstrap(p: TestPlatform, prefix: string): Promise<void> {
  // Idempotent; a loaded broker sometimes answers a fresh topic's metadata with
  // UNKNOWN_TOPIC_OR_PARTITION while its leaders are elected.
  for (let attempt = 1; ; attempt++) {
    try {
      await bootstrapTopics(p.kafka, p.serde, pino({ level: 'silent' }), allTopicSpecs(prefix));
      return;
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

export async function produceLines(
  p: TestPlatform,
  prefix: string,
  lines: readonly LogLine[],
): Promise<void> {
  const topic = physicalTopic(TOPICS.logLines.name, prefix);
  await p.serde.registerValueSchema(topic, 'log-line');
  const publisher = new EventPublisher(p.producer, p.serde);
  for (let i = 0; i < lines.length; i += 500)
    await publisher.publish(
      topic,
      lines.slice(i, i + 500).map((l) => ({ key: l.source, value: l })),
    );
}

/** Every alert event on `<prefix>alerts.events` (at least `atLeast`), decoded. */
export async function readAlertEvents(
  p: TestPlatform,
  prefix: string,
  atLeast: number,
): Promise<AlertEvent[]> {
  if (atLeast === 0) return [];
  const topic = physicalTopic(TOPICS.alertEvents.name, prefix);
  const records = await readAll(p.kafka, topic, atLeast);
  const out: AlertEvent[] = [];
  for (const r of records)
    out.push((await p.serde.registry.decode(r.value as Buffer)) as AlertEvent);
  return out;
}

export function api(base: string, key: string) {
  const call = async <T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        'x-api-key': key,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  };
  return {
    get: <T = Record<string, unknown>>(path: string) => call<T>('GET', path),
    post: <T = Record<string, unknown>>(path: string, body?: unknown) =>
      call<T>('POST', path, body ?? {}),
    put: <T = Record<string, unknown>>(path: string, body: unknown) => call<T>('PUT', path, body),
    del: <T = Record<string, unknown>>(path: string) => call<T>('DELETE', path),
  };
}

export interface Received {
  readonly at: number;
  readonly raw: string;
  readonly headers: Record<string, string>;
  readonly body: {
    status: string;
    receiver: string;
    groupKey: string;
    alerts: Array<{
      status: string;
      labels: Record<string, string>;
      annotations: Record<string, string>;
      fingerprint: string;
      streamline: {
        alertId: string;
        eventId: string;
        ruleId: string;
        matchCount: number;
        firstLines: Array<{ message: string; eventId: string }>;
        lastLines: Array<{ message: string; eventId: string }>;
      };
    }>;
  };
}

/** A loopback webhook receiver; `status` decides the answer (503 while "down"). */
export class WebhookReceiver {
  readonly received: Received[] = [];
  /** Requests answered with an error status (while down). */
  refused = 0;
  status = 200;
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        if (this.status >= 300) {
          this.refused++;
          res.statusCode = this.status;
          res.end('down');
          return;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        this.received.push({
          at: Date.now(),
          raw,
          headers,
          body: JSON.parse(raw) as Received['body'],
        });
        res.statusCode = this.status;
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }

  alerts(): Array<Received['body']['alerts'][number] & { key: string }> {
    return this.received.flatMap((r) =>
      r.body.alerts.map((a) => ({ ...a, key: r.headers['x-streamline-idempotency-key'] ?? '' })),
    );
  }
}

/** Polls GET /alerts until `predicate` holds for the items. */
export async function waitForAlerts(
  call: ReturnType<typeof api>,
  query: string,
  predicate: (items: Array<Record<string, unknown>>) => boolean,
  description: string,
  timeoutMs = 30_000,
): Promise<Array<Record<string, unknown>>> {
  return waitFor(
    description,
    async () => {
      const res = await call.get<{ items: Array<Record<string, unknown>> }>(`/alerts?${query}`);
      return res.status === 200 && predicate(res.body.items) ? res.body.items : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}
