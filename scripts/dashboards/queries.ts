/**
 * Reading dashboards back as PromQL: every panel target and template-variable query, Grafana's
 * placeholders substituted, parsed with Prometheus's own grammar (`@prometheus-io/lezer-promql`,
 * the parser of Prometheus's UI). Used by the unit test (every query parses) and by the
 * end-to-end test (every query runs against a real Prometheus).
 */
import { parser } from '@prometheus-io/lezer-promql';

export interface DashboardQuery {
  /** Dashboard uid. */
  readonly dashboard: string;
  /** Panel title, or `$name` for a template variable. */
  readonly panel: string;
  readonly refId: string;
  readonly kind: 'panel' | 'variable';
  /** The query as written in the dashboard (placeholders intact). */
  readonly expr: string;
  /** Instant query (stat, bar gauge, pie) rather than a range query. */
  readonly instant: boolean;
}

interface PanelJson {
  title?: string;
  type?: string;
  targets?: Array<{ expr?: string; refId?: string; instant?: boolean }>;
  panels?: PanelJson[];
}

interface DashboardJson {
  uid?: string;
  panels?: PanelJson[];
  templating?: { list?: Array<{ name?: string; type?: string; query?: unknown }> };
}

/** Every panel target of a dashboard (rows' nested panels included), in order. */
export function panelQueries(dashboard: unknown): DashboardQuery[] {
  const d = dashboard as DashboardJson;
  const out: DashboardQuery[] = [];
  const visit = (panels: PanelJson[] | undefined): void => {
    for (const p of panels ?? []) {
      for (const t of p.targets ?? []) {
        if (typeof t.expr !== 'string') continue;
        out.push({
          dashboard: d.uid ?? '?',
          panel: p.title ?? '?',
          refId: t.refId ?? '?',
          kind: 'panel',
          expr: t.expr,
          instant: t.instant === true,
        });
      }
      visit(p.panels);
    }
  };
  visit(d.panels);
  return out;
}

/** Template-variable queries (`label_values(<selector>, <label>)`). */
export function variableQueries(dashboard: unknown): DashboardQuery[] {
  const d = dashboard as DashboardJson;
  return (d.templating?.list ?? [])
    .filter((v) => v.type === 'query')
    .map((v) => {
      const q = v.query as string | { query?: string } | undefined;
      return {
        dashboard: d.uid ?? '?',
        panel: `$${v.name ?? '?'}`,
        refId: 'var',
        kind: 'variable' as const,
        expr: typeof q === 'string' ? q : (q?.query ?? ''),
        instant: true,
      };
    });
}

/** Panels (titles) of a dashboard, rows excluded. */
export function panelTitles(dashboard: unknown): string[] {
  const out: string[] = [];
  const visit = (panels: PanelJson[] | undefined): void => {
    for (const p of panels ?? []) {
      if (p.type !== 'row') out.push(p.title ?? '?');
      visit(p.panels);
    }
  };
  visit((dashboard as DashboardJson).panels);
  return out;
}

export interface Substitution {
  /** `$__rate_interval` (Grafana: max(4 × scrape interval, $__interval + scrape interval)). */
  readonly rateInterval?: string;
  /** `$__interval` (range / max data points). */
  readonly interval?: string;
  /** `$__range`: the dashboard's time range. */
  readonly range?: string;
  /** Template variables by name; a missing one becomes `.*` (the "All" value). */
  readonly variables?: Readonly<Record<string, string>>;
}

const DURATION_SECONDS: Record<string, number> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 604800,
};

function seconds(duration: string): number {
  let total = 0;
  for (const m of duration.matchAll(/(\d+)(ms|s|m|h|d|w)/g)) {
    total += Number(m[1]) * (DURATION_SECONDS[m[2] ?? 's'] ?? 1);
  }
  return total;
}

/** Replaces Grafana's placeholders as Grafana would before sending the query to Prometheus. */
export function substitute(expr: string, s: Substitution = {}): string {
  const range = s.range ?? '1h';
  const builtins: Record<string, string> = {
    __rate_interval: s.rateInterval ?? '1m',
    __interval: s.interval ?? '15s',
    __range: range,
    __range_s: String(Math.round(seconds(range))),
    __range_ms: String(Math.round(seconds(range) * 1000)),
  };
  const value = (name: string): string => builtins[name] ?? s.variables?.[name] ?? '.*';
  return expr
    .replace(/\$\{(\w+)(?::\w+)?\}/g, (_m, name: string) => value(name))
    .replace(/\[\[(\w+)\]\]/g, (_m, name: string) => value(name))
    .replace(/\$(\w+)/g, (_m, name: string) => value(name));
}

export interface ParseResult {
  readonly ok: boolean;
  /** Position and surrounding text of the first syntax error. */
  readonly error?: string;
  /** Metric names the expression selects. */
  readonly metrics: string[];
}

/** Parses with Prometheus's lezer grammar; any error node fails the query. */
export function parsePromQL(expr: string): ParseResult {
  const tree = parser.parse(expr);
  let error: string | undefined;
  const metrics = new Set<string>();
  tree.iterate({
    enter: (node) => {
      if (node.type.isError && error === undefined) {
        error = `syntax error at ${node.from}: …${expr.slice(Math.max(0, node.from - 20), node.from + 20)}…`;
      }
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        metrics.add(expr.slice(node.from, node.to));
      }
    },
  });
  if (expr.trim() === '') error = 'empty query';
  return {
    ok: error === undefined,
    ...(error !== undefined ? { error } : {}),
    metrics: [...metrics],
  };
}

/** `label_values(<selector>, <label>)` → its parts; undefined for any other variable query. */
export function parseLabelValues(query: string): { selector: string; label: string } | undefined {
  const m = /^\s*label_values\(\s*(.+?)\s*,\s*(\w+)\s*\)\s*$/.exec(query);
  if (!m?.[1] || !m[2]) return undefined;
  return { selector: m[1], label: m[2] };
}
