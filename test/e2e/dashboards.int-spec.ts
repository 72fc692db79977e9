import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ownerOf, SERVICES, type ServiceName } from '../../scripts/dashboards/catalog.js';
import { DASHBOARDS, type DashboardEntry } from '../../scripts/dashboards/index.js';
import {
  panelQueries,
  parseLabelValues,
  parsePromQL,
  substitute,
  variableQueries,
  type DashboardQuery,
} from '../../scripts/dashboards/queries.js';
import { startWorkload, type StreamName, type Workload } from '../../scripts/workload/index.js';
import { apiKeysDdl, createApiKey } from '../../src/platform/auth/api-keys.js';
import { createKafka, loadMessagingConfig } from '../../src/platform/messaging/kafka.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { uniqueName } from '../support/kafka.js';
import { startServiceProcess, type ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait-for.js';
import {
  freePort,
  readRepoPrometheusConfig,
  startPrometheus,
  type PromResult,
  type PromSeries,
  type PrometheusProcess,
} from './prometheus-process.js';

const root = join(import.meta.dirname, '../..');
const built = SERVICES.filter((s) => existsSync(join(root, 'dist/src', s, 'main.js')));
const notBuilt = SERVICES.filter((s) => !built.includes(s));
for (const s of notBuilt) {
  console.warn(
    `dashboards e2e: ${s} is not built (dist/src/${s}/main.js missing; npm run build): its dashboard and panels are skipped`,
  );
}

/** Stream the workload drives for each service whose consumer reads it. */
const STREAM_OF: Partial<Record<ServiceName, StreamName>> = {
  ledger: 'transfers',
  alerting: 'logs',
  sentiment: 'comments',
};
/** Consumer-group variables, so this run never joins the groups of a running demo. */
const GROUP_ENV: Partial<Record<ServiceName, string>> = {
  ledger: 'LEDGER_CONSUMER_GROUP',
  alerting: 'ALERTING_GROUP_ID',
  notifier: 'NOTIFIER_GROUP_ID',
  sentiment: 'SENTIMENT_CONSUMER_GROUP',
};
/** Start order: the consumers first, the ingest gateway last. */
const START_ORDER: readonly ServiceName[] = [
  'ledger',
  'alerting',
  'notifier',
  'sentiment',
  'gateway',
];

const dashboards = DASHBOARDS.map((d) => ({
  entry: d,
  json: JSON.parse(readFileSync(join(root, 'grafana/dashboards', d.file), 'utf8')) as unknown,
}));

/** Services a query needs: owners of its metrics and services named by `service="x"`. */
function servicesOf(expr: string): Set<ServiceName> {
  const out = new Set<ServiceName>();
  for (const metric of parsePromQL(substitute(expr)).metrics) {
    const owner = ownerOf(metric);
    if (owner) out.add(owner);
  }
  for (const m of expr.matchAll(/\bservice="(\w+)"/g)) {
    if ((SERVICES as readonly string[]).includes(m[1] ?? '')) out.add(m[1] as ServiceName);
  }
  return out;
}

/**
 * The acceptance test of the dashboards: the services run as real processes (the compiled
 * build), a real Prometheus scrapes them with the jobs and labels of prometheus/prometheus.yml
 * (test-owned, with the repository's scrape interval and rule files, ports rewritten to this
 * run's free ports, clean TSDB), the workload generator drives all three streams (plus a share
 * through the gateway), and then every dashboard query — Grafana placeholders substituted as
 * Grafana would — runs against Prometheus's HTTP API. Every panel of the overview and of the
 * stream dashboards must return data; a panel whose metrics belong to a service that is not
 * built yet is skipped with a message.
 */
const suite = built.length > 0 ? describe : describe.skip;
suite('Grafana dashboards against a real Prometheus after a workload', () => {
  const prefix = `${uniqueName('dash')}.`;
  const running = new Set<ServiceName>();
  const ports = new Map<ServiceName, number>();
  const processes: ServiceProcess[] = [];
  const hooks: unknown[] = [];
  let db: TestDatabase | undefined;
  let prometheus: PrometheusProcess | undefined;
  let workload: Workload | undefined;
  let webhook: Server | undefined;
  let startedAt = 0;

  /**
   * Names the set-up step in the output when it is slow, so a set-up that runs into the hook's
   * timeout says where it was (every step is bounded; this is for the report).
   */
  async function step<T>(label: string, work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const slow = setTimeout(
      () => console.warn(`dashboards e2e: still at "${label}" after 30 s`),
      30_000,
    );
    try {
      return await work();
    } finally {
      clearTimeout(slow);
      const s = (Date.now() - started) / 1000;
      if (s > 30) console.warn(`dashboards e2e: "${label}" took ${s.toFixed(0)} s`);
    }
  }

  beforeAll(async () => {
    const database = await step('create the database', () => createTestDatabase('dash'));
    db = database;
    const pool = db.pool(1);
    await pool.query(apiKeysDdl());
    const apiKey = (await createApiKey(pool, { name: 'dashboards-e2e', scopes: ['admin'] })).key;
    await pool.end();

    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push(body);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => webhook?.listen(0, '127.0.0.1', resolve));
    const hookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}`;

    const env: Record<string, string> = {
      DATABASE_URL: db.url,
      KAFKA_TOPIC_PREFIX: prefix,
      WEBHOOK_ALLOWLIST: '127.0.0.1',
      WEBHOOK_ALLOW_HTTP: 'true',
      WEBHOOK_ALLOWED_PORTS: String((webhook.address() as AddressInfo).port),
      STREAMLINE_API_KEY: apiKey,
      // The shipped default rule set (the alerting service resolves its default relative to dist/).
      ALERT_RULES_FILE: join(root, 'config/alert-rules.default.yaml'),
    };
    for (const [svc, variable] of Object.entries(GROUP_ENV)) env[variable] = `${prefix}${svc}`;
    for (const svc of START_ORDER.filter((s) => built.includes(s))) {
      const port = await freePort();
      processes.push(
        await step(`start ${svc}`, () =>
          startServiceProcess(svc, port, env, { readyTimeoutMs: 120_000 }),
        ),
      );
      ports.set(svc, port);
      running.add(svc);
    }

    // Notifications only flow to a subscriber: subscribe the loopback webhook.
    if (running.has('notifier')) {
      const res = await fetch(`http://127.0.0.1:${ports.get('notifier')}/subscriptions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
        body: JSON.stringify({
          id: 'dashboards-e2e',
          name: 'dashboards e2e',
          receiver: {
            type: 'webhook',
            url: `${hookUrl}/hook`,
            secret: 'dashboards-e2e-secret-0123',
          },
          route: { groupWait: '1s', groupInterval: '5s', repeatInterval: '1m' },
        }),
        signal: AbortSignal.timeout(10_000),
      }).catch((err: unknown) => err as Error);
      if (res instanceof Error || res.status >= 300) {
        console.warn(
          `dashboards e2e: could not subscribe a webhook to the notifier (${res instanceof Error ? res.message : `${res.status} ${await res.text()}`}): notification panels are skipped`,
        );
        running.delete('notifier');
      }
    }

    const repo = readRepoPrometheusConfig(root);
    prometheus = await step('start Prometheus', () =>
      startPrometheus({
        scrapeInterval: repo.global.scrape_interval ?? '5s',
        evaluationInterval: repo.global.evaluation_interval ?? '5s',
        ruleFiles: readdirSync(join(root, 'prometheus/rules'))
          .filter((f) => f.endsWith('.yml'))
          .map((f) => join(root, 'prometheus/rules', f)),
        scrapeConfigs: repo.scrape_configs
          .filter((job) => ports.has(job.job_name as ServiceName))
          .map((job) => ({
            ...job,
            static_configs: job.static_configs.map((c) => ({
              ...c,
              targets: [`127.0.0.1:${ports.get(job.job_name as ServiceName)}`],
            })),
          })),
      }),
    );

    startedAt = Date.now();
    workload = await step('start the workload', () =>
      startWorkload(
        {
          rate: 100,
          durationSeconds: 0,
          streams: built.flatMap((s) => STREAM_OF[s] ?? []),
          topicPrefix: prefix,
          accounts: running.has('ledger') ? 'http' : 'skip',
          ledgerUrl: `http://127.0.0.1:${ports.get('ledger')}`,
          gatewayUrl: `http://127.0.0.1:${ports.get('gateway')}`,
          apiKey,
          viaGatewayShare: running.has('gateway') ? 0.1 : 0,
          customersPerCurrency: 10,
          burstEverySeconds: 15,
          burstSeconds: 4,
          poisonShare: 0.002,
        },
        { env: { ...process.env, DATABASE_URL: database.url }, log: () => undefined },
      ),
    );
  }, 420_000);

  afterAll(async () => {
    await workload?.stop();
    await Promise.all(processes.map((p) => p.stop('SIGTERM')));
    await prometheus?.stop();
    await new Promise<void>((resolve) => (webhook ? webhook.close(() => resolve()) : resolve()));
    await db?.drop();
    const admin = createKafka(loadMessagingConfig(process.env, 'dashboards-e2e-cleanup')).admin();
    await admin.connect();
    try {
      const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
      if (topics.length > 0) await admin.deleteTopics({ topics });
    } finally {
      await admin.disconnect();
    }
  }, 120_000);

  const substitution = (): Parameters<typeof substitute>[1] => ({
    // What Grafana sends for the provisioned datasource (timeInterval 5s): $__rate_interval =
    // max(4 × 5s, $__interval + 5s); $__range = the time since the workload started.
    rateInterval: '20s',
    interval: '5s',
    range: `${Math.max(30, Math.ceil((Date.now() - startedAt) / 1000))}s`,
  });

  async function run(q: DashboardQuery): Promise<PromResult> {
    const prom = prometheus as PrometheusProcess;
    const expr = substitute(q.expr, substitution());
    if (q.instant) return prom.query(expr);
    const end = Math.floor(Date.now() / 1000);
    return prom.queryRange(expr, Math.floor(startedAt / 1000) - 30, end, 5);
  }

  const hasData = (r: PromResult): boolean =>
    Array.isArray(r.result) &&
    (r.result as PromSeries[]).some((s) => (s.values?.length ?? 0) > 0 || s.value !== undefined);

  /** Dashboards and panels that must show data, with the reason for each one skipped. */
  function expected(): {
    panels: Array<{ entry: DashboardEntry; queries: DashboardQuery[] }>;
    skipped: string[];
  } {
    const panels: Array<{ entry: DashboardEntry; queries: DashboardQuery[] }> = [];
    const skipped: string[] = [];
    for (const { entry, json } of dashboards) {
      if (entry.kind === 'internals') continue;
      if (entry.service && !running.has(entry.service)) {
        skipped.push(`${entry.file}: ${entry.service} not built`);
        continue;
      }
      const byPanel = new Map<string, DashboardQuery[]>();
      for (const q of panelQueries(json))
        byPanel.set(q.panel, [...(byPanel.get(q.panel) ?? []), q]);
      for (const [title, queries] of byPanel) {
        const usable = queries.filter((q) => [...servicesOf(q.expr)].every((s) => running.has(s)));
        if (usable.length === 0) {
          const needs = [...new Set(queries.flatMap((q) => [...servicesOf(q.expr)]))].filter(
            (s) => !running.has(s),
          );
          skipped.push(`${entry.file} "${title}": needs ${needs.join(', ')}`);
        } else {
          panels.push({ entry, queries: usable });
        }
      }
    }
    return { panels, skipped };
  }

  it('every panel of the overview and stream dashboards returns data', async () => {
    const { panels, skipped } = expected();
    for (const s of skipped) console.warn(`dashboards e2e: skipped ${s}`);
    expect(panels.length).toBeGreaterThan(10);
    const empty = async (): Promise<string[]> => {
      const missing: string[] = [];
      for (const { entry, queries } of panels) {
        const results = await Promise.all(queries.map((q) => run(q)));
        if (!results.some(hasData)) missing.push(`${entry.file} "${queries[0]?.panel ?? '?'}"`);
      }
      return missing;
    };
    // The workload keeps running; wait (bounded) until every panel has something to show.
    await waitFor(
      'every panel of the overview and stream dashboards to return data',
      async () => {
        const missing = await empty();
        if (missing.length > 0) throw new Error(`no data yet: ${missing.join('; ')}`);
        return true;
      },
      { timeoutMs: 180_000, intervalMs: 5_000 },
    );
    expect(await empty()).toEqual([]);
    // The workload did what the panels show.
    const s = (workload as Workload).snapshot();
    expect({
      transfers: s.transfers.sent > 0,
      bursts: s.logs.bursts > 0,
      portuguese: s.comments.byLanguage.pt > 0,
      notified: hooks.length > 0,
    }).toEqual({
      transfers: built.includes('ledger'),
      bursts: built.includes('alerting'),
      portuguese: built.includes('sentiment'),
      notified: running.has('notifier'),
    });
  }, 300_000);

  it('every query of every dashboard, variables included, succeeds against Prometheus', async () => {
    const failures: string[] = [];
    for (const { entry, json } of dashboards) {
      for (const q of panelQueries(json)) {
        await run(q).catch((err: unknown) =>
          failures.push(`${entry.file} "${q.panel}" ${q.refId}: ${(err as Error).message}`),
        );
      }
      for (const v of variableQueries(json)) {
        const lv = parseLabelValues(v.expr);
        if (!lv) {
          failures.push(`${entry.file} ${v.panel}: not label_values()`);
          continue;
        }
        const params = new URLSearchParams({ 'match[]': substitute(lv.selector, substitution()) });
        const res = await fetch(
          `${(prometheus as PrometheusProcess).url}/api/v1/label/${lv.label}/values?${params.toString()}`,
        );
        const body = (await res.json()) as { status: string; error?: string; data?: string[] };
        if (body.status !== 'success')
          failures.push(`${entry.file} ${v.panel}: ${body.error ?? res.status}`);
        else if (entry.kind === 'overview' && (body.data ?? []).length === 0)
          failures.push(`${entry.file} ${v.panel}: no values`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
