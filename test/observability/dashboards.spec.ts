import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { M } from '../../scripts/dashboards/catalog.js';
import { DASHBOARDS, DATASOURCE_UID, renderDashboards } from '../../scripts/dashboards/index.js';
import {
  panelQueries,
  panelTitles,
  parseLabelValues,
  parsePromQL,
  substitute,
  variableQueries,
} from '../../scripts/dashboards/queries.js';

const root = join(import.meta.dirname, '../..');
const dashboardsDir = join(root, 'grafana/dashboards');
const committed = (file: string): unknown =>
  JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8')) as unknown;

interface Panel {
  id?: number;
  type?: string;
  title?: string;
  description?: string;
  datasource?: { uid?: string; type?: string };
  fieldConfig?: { defaults?: { unit?: string; thresholds?: { steps?: unknown[] } } };
  targets?: Array<{ refId?: string; datasource?: { uid?: string } }>;
  gridPos?: { x: number; y: number; w: number; h: number };
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string }> };
}

describe('Grafana dashboards as code', () => {
  it('committed grafana/dashboards/*.json equal what scripts/dashboards generates (run npm run dashboards)', () => {
    const rendered = renderDashboards();
    const files = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json'));
    expect(files.sort()).toEqual([...rendered.keys()].sort());
    for (const [file, text] of rendered) {
      expect([file, readFileSync(join(dashboardsDir, file), 'utf8') === text]).toEqual([
        file,
        true,
      ]);
    }
  });

  it('generation is deterministic', () => {
    expect([...renderDashboards()]).toEqual([...renderDashboards()]);
  });

  it('has the overview, the three stream dashboards and the internals, with fixed unique uids', () => {
    const uids = DASHBOARDS.map((d) => (committed(d.file) as Dashboard).uid);
    expect(uids).toEqual([
      'streamline-overview',
      'streamline-money',
      'streamline-alerts',
      'streamline-sentiment',
      'streamline-kafka-outbox',
    ]);
  });

  it('defines the template variables analysts filter by', () => {
    const vars = (file: string): string[] =>
      (committed(file) as Dashboard).templating.list.map((v) => v.name);
    expect(vars('overview.json')).toEqual(['service']);
    expect(vars('kafka-outbox.json')).toEqual(['service', 'topic', 'schema']);
    expect(vars('sentiment.json')).toEqual(['source', 'language']);
    expect(vars('money.json')).toEqual(['currency']);
    expect(vars('alerts.json')).toEqual(['severity', 'rule']);
  });

  describe.each(DASHBOARDS.map((d) => [d.file]))('%s', (file) => {
    const dashboard = committed(file) as Dashboard;
    const defined = new Set(dashboard.templating.list.map((v) => v.name));
    const queries = [...panelQueries(dashboard), ...variableQueries(dashboard)];

    it('every panel query and variable selector parses as PromQL once placeholders are substituted', () => {
      const failures: string[] = [];
      for (const q of queries) {
        let expr = q.expr;
        if (q.kind === 'variable') {
          const lv = parseLabelValues(q.expr);
          if (!lv) {
            failures.push(`${q.panel}: not label_values(<selector>, <label>): ${q.expr}`);
            continue;
          }
          expr = lv.selector;
        }
        const result = parsePromQL(substitute(expr));
        if (!result.ok) failures.push(`${q.panel} ${q.refId}: ${result.error ?? ''}\n  ${q.expr}`);
      }
      expect(failures).toEqual([]);
      expect(queries.length).toBeGreaterThan(5);
    });

    it('uses only template variables it defines and metrics of the catalog', () => {
      const known = new Set<string>([...Object.values(M), 'up', 'ALERTS']);
      const problems: string[] = [];
      for (const q of queries) {
        for (const m of q.expr.matchAll(/\$\{?(\w+)/g)) {
          const name = m[1] ?? '';
          if (!name.startsWith('__') && !defined.has(name))
            problems.push(`${q.panel}: $${name} undefined`);
        }
        const expr = q.kind === 'variable' ? (parseLabelValues(q.expr)?.selector ?? '') : q.expr;
        for (const metric of parsePromQL(substitute(expr)).metrics) {
          const base = metric.replace(/_(bucket|sum|count)$/, '');
          if (!known.has(metric) && !known.has(base))
            problems.push(`${q.panel}: unknown metric ${metric}`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('every panel has a description, the provisioned datasource, a unit and thresholds; ids and refIds are unique', () => {
      const problems: string[] = [];
      const ids = new Set<number>();
      for (const p of dashboard.panels) {
        if (p.id === undefined || ids.has(p.id))
          problems.push(`${p.title}: id ${p.id} missing or repeated`);
        ids.add(p.id ?? -1);
        if (p.type === 'row') continue;
        if (!p.description) problems.push(`${p.title}: no description`);
        if (p.datasource?.uid !== DATASOURCE_UID) problems.push(`${p.title}: datasource`);
        if (!p.fieldConfig?.defaults?.unit) problems.push(`${p.title}: no unit`);
        if (!p.fieldConfig?.defaults?.thresholds?.steps?.length)
          problems.push(`${p.title}: no thresholds`);
        const refIds = (p.targets ?? []).map((t) => t.refId);
        if (new Set(refIds).size !== refIds.length || refIds.length === 0)
          problems.push(`${p.title}: refIds ${refIds.join(',')}`);
        for (const t of p.targets ?? [])
          if (t.datasource?.uid !== DATASOURCE_UID) problems.push(`${p.title}: target datasource`);
        const g = p.gridPos;
        if (!g || g.x + g.w > 24) problems.push(`${p.title}: gridPos ${JSON.stringify(g)}`);
      }
      expect(problems).toEqual([]);
      expect(panelTitles(dashboard).length).toBeGreaterThanOrEqual(8);
    });
  });

  it('answers the analysts’ questions (volume over time, rejection reasons, top rules, sentiment trend per source)', () => {
    expect(panelTitles(committed('money.json'))).toEqual(
      expect.arrayContaining([
        'Volume posted per currency',
        'Rejection reasons',
        'Transfer requests by outcome',
      ]),
    );
    expect(panelTitles(committed('alerts.json'))).toEqual(
      expect.arrayContaining(['Top alerting rules', 'Alerts fired by severity']),
    );
    expect(panelTitles(committed('sentiment.json'))).toEqual(
      expect.arrayContaining([
        'Sentiment trend per source',
        'Label mix',
        'Languages',
        'Model version',
      ]),
    );
  });
});

describe('Grafana placeholders and the PromQL check', () => {
  it('substitutes builtins and variables as Grafana would', () => {
    expect(
      substitute(
        'sum(rate(x{service=~"$service", t=~"${topic}"}[$__rate_interval])) + y[$__range] + z[$__interval]',
        {
          range: '5m',
          rateInterval: '20s',
          interval: '5s',
          variables: { topic: 'a|b' },
        },
      ),
    ).toBe('sum(rate(x{service=~".*", t=~"a|b"}[20s])) + y[5m] + z[5s]');
  });

  it('rejects invalid PromQL and reports the metrics of valid PromQL', () => {
    expect(parsePromQL('sum(rate(x[1m])').ok).toBe(false);
    expect(parsePromQL('rate(x[$__rate_interval])').ok).toBe(false);
    expect(parsePromQL('').ok).toBe(false);
    expect(parsePromQL('sum by (a) (rate(foo_total{b="c"}[5m])) / on() bar').metrics).toEqual([
      'foo_total',
      'bar',
    ]);
  });
});

describe('Grafana provisioning', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
    services: { grafana?: { volumes?: string[] } };
  };
  // container path → repository path, from docker-compose's bind mounts
  const mounts = new Map(
    (compose.services.grafana?.volumes ?? []).map((v) => {
      const [host, container] = v.split(':');
      return [container ?? '', resolve(root, host ?? '')] as const;
    }),
  );
  const hostPath = (containerPath: string): string | undefined => {
    for (const [container, host] of mounts) {
      if (containerPath === container || containerPath.startsWith(`${container}/`))
        return join(host, containerPath.slice(container.length));
    }
    return undefined;
  };

  it('docker-compose mounts grafana/provisioning where Grafana reads provisioning', () => {
    expect(mounts.get('/etc/grafana/provisioning')).toBe(join(root, 'grafana/provisioning'));
  });

  it('provisions the Prometheus datasource with the uid every panel uses', () => {
    const file = parse(
      readFileSync(join(root, 'grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
    ) as { datasources: Array<{ uid: string; type: string; url: string; isDefault?: boolean }> };
    expect(file.datasources).toHaveLength(1);
    expect(file.datasources[0]).toMatchObject({
      uid: DATASOURCE_UID,
      type: 'prometheus',
      isDefault: true,
    });
    expect(file.datasources[0]?.url).toBe('${PROMETHEUS_URL}');
  });

  it('the dashboards provider points at a mounted folder that holds every generated dashboard', () => {
    const file = parse(
      readFileSync(join(root, 'grafana/provisioning/dashboards/streamline.yml'), 'utf8'),
    ) as { providers: Array<{ type: string; options: { path: string } }> };
    expect(file.providers).toHaveLength(1);
    const provider = file.providers[0];
    expect(provider?.type).toBe('file');
    const folder = hostPath(provider?.options.path ?? '');
    expect(folder).toBe(dashboardsDir);
    for (const d of DASHBOARDS)
      expect([d.file, existsSync(join(folder ?? '', d.file))]).toEqual([d.file, true]);
  });
});
