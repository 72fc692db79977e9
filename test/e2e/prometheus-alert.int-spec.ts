import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { waitFor } from '../support/wait-for.js';
import { startPrometheus, type PromSeries, type PrometheusProcess } from './prometheus-process.js';

const root = join(import.meta.dirname, '../..');
const alertmanagerUrl = process.env.ALERTMANAGER_URL ?? 'http://127.0.0.1:19093';

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: { state: string };
  receivers: Array<{ name: string }>;
}

/**
 * One platform alert end to end on real components: a tiny exporter reports a stopped consumer
 * (`streamline_consumer_up 0`), a real Prometheus (test-owned: 1 s scrape and evaluation, the
 * repository's rule files unchanged, alerts sent to the stack's Alertmanager) evaluates
 * `ConsumerDown` through pending to firing after its real `for: 1m`, and the stack's real
 * Alertmanager lists it. The consumer then recovers and the alert leaves Alertmanager.
 */
describe('ConsumerDown from a real Prometheus to the real Alertmanager', () => {
  const id = randomBytes(4).toString('hex');
  const group = `probe-group-${id}`;
  const service = `probe-${id}`;
  let consumerUp = 1;
  let exporter: Server;
  let prometheus: PrometheusProcess | undefined;

  const amAlerts = async (): Promise<AmAlert[]> => {
    const q = new URLSearchParams();
    q.append('filter', 'alertname="ConsumerDown"');
    q.append('filter', `group="${group}"`);
    const res = await fetch(`${alertmanagerUrl}/api/v2/alerts?${q.toString()}`);
    if (!res.ok) throw new Error(`Alertmanager answered ${res.status}`);
    return (await res.json()) as AmAlert[];
  };

  beforeAll(async () => {
    const ready = await fetch(`${alertmanagerUrl}/-/ready`).catch(() => undefined);
    if (ready?.status !== 200) {
      throw new Error(`Alertmanager is not ready at ${alertmanagerUrl}: run npm run stack:up`);
    }
    exporter = createServer((req, res) => {
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(
        [
          '# HELP streamline_consumer_up 1 while the consumer group member is joined and fetching, else 0.',
          '# TYPE streamline_consumer_up gauge',
          `streamline_consumer_up{group="${group}",service="${service}"} ${consumerUp}`,
          '',
        ].join('\n'),
      );
    });
    await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
    const port = (exporter.address() as AddressInfo).port;
    const am = new URL(alertmanagerUrl);
    prometheus = await startPrometheus({
      scrapeConfigs: [
        {
          job_name: 'probe',
          static_configs: [{ targets: [`127.0.0.1:${port}`], labels: { service } }],
        },
      ],
      ruleFiles: readdirSync(join(root, 'prometheus/rules'))
        .filter((f) => f.endsWith('.yml'))
        .map((f) => join(root, 'prometheus/rules', f)),
      alertmanagers: [am.host],
      externalLabels: { environment: `it-${id}` },
    });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise<void>((resolve) => exporter?.close(() => resolve()) ?? resolve());
  });

  it('goes pending, fires after its for: 1m, reaches Alertmanager, and resolves', async () => {
    const prom = prometheus as PrometheusProcess;
    // Healthy first: scraped, no alert.
    await waitFor(
      'the probe scraped with consumer up',
      async () => {
        const r = await prom.query(`streamline_consumer_up{group="${group}"}`);
        return (r.result as PromSeries[])[0]?.value?.[1] === '1';
      },
      { timeoutMs: 30_000, intervalMs: 250 },
    );
    consumerUp = 0;

    const alertState = async (): Promise<string | undefined> => {
      const r = await prom.query(`ALERTS{alertname="ConsumerDown", group="${group}"}`);
      const states = (r.result as PromSeries[]).map((s) => s.metric.alertstate);
      return states.includes('firing') ? 'firing' : states[0];
    };
    await waitFor('ConsumerDown pending', async () => (await alertState()) === 'pending', {
      timeoutMs: 30_000,
      intervalMs: 250,
    });
    const pendingSince = Date.now();
    await waitFor('ConsumerDown firing', async () => (await alertState()) === 'firing', {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    // The rule's own `for: 1m` held it back (allowing for the polling interval).
    expect(Date.now() - pendingSince).toBeGreaterThanOrEqual(55_000);

    const [alert] = await waitFor(
      'ConsumerDown in the real Alertmanager',
      async () => {
        const alerts = await amAlerts();
        return alerts.length > 0 ? alerts : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(alert?.status.state).toBe('active');
    expect(alert?.labels).toMatchObject({
      alertname: 'ConsumerDown',
      severity: 'critical',
      team: 'platform',
      service,
      group,
      job: 'probe',
      environment: `it-${id}`,
    });
    expect(alert?.annotations.summary).toBe(
      `Consumer group ${group} of ${service} is not consuming`,
    );
    expect(alert?.annotations.runbook).toBe('prometheus/README.md#consumerdown');

    // Recovery: Prometheus sends the resolution and Alertmanager stops listing the alert.
    consumerUp = 1;
    await waitFor(
      'ConsumerDown resolved in Alertmanager',
      async () => (await amAlerts()).length === 0,
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });
});
