/**
 * Every Streamline dashboard, generated from TypeScript with `@grafana/grafana-foundation-sdk`
 * into `grafana/dashboards/*.json` (`npm run dashboards`). Grafana loads them through
 * `grafana/provisioning/dashboards/streamline.yml`; panels read the Prometheus datasource
 * provisioned with a fixed uid (`grafana/provisioning/datasources/prometheus.yml`).
 */
import { type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { alertsDashboard } from './alerts.js';
import { type ServiceName } from './catalog.js';
import { kafkaOutboxDashboard } from './kafka-outbox.js';
import { moneyDashboard } from './money.js';
import { overviewDashboard } from './overview.js';
import { sentimentDashboard } from './sentiment.js';

export { DATASOURCE_UID } from './kit.js';

export interface DashboardEntry {
  /** File name under grafana/dashboards/. */
  readonly file: string;
  /** overview and stream dashboards must show data after a workload; internals may not all. */
  readonly kind: 'overview' | 'stream' | 'internals';
  /** The service a stream dashboard is about. */
  readonly service?: ServiceName;
  readonly build: () => Dashboard;
}

export const DASHBOARDS: readonly DashboardEntry[] = [
  { file: 'overview.json', kind: 'overview', build: () => overviewDashboard().build() },
  { file: 'money.json', kind: 'stream', service: 'ledger', build: () => moneyDashboard().build() },
  {
    file: 'alerts.json',
    kind: 'stream',
    service: 'alerting',
    build: () => alertsDashboard().build(),
  },
  {
    file: 'sentiment.json',
    kind: 'stream',
    service: 'sentiment',
    build: () => sentimentDashboard().build(),
  },
  { file: 'kafka-outbox.json', kind: 'internals', build: () => kafkaOutboxDashboard().build() },
];

/** The committed text of a dashboard: 2-space JSON and a final newline. */
export function renderDashboard(dashboard: Dashboard): string {
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}

/** file name → JSON text, for every dashboard. */
export function renderDashboards(): Map<string, string> {
  return new Map(DASHBOARDS.map((d) => [d.file, renderDashboard(d.build())]));
}
