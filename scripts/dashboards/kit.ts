/**
 * A small vocabulary over `@grafana/grafana-foundation-sdk` so each dashboard file reads as a
 * list of questions and the PromQL that answers them. Every panel gets the provisioned
 * Prometheus datasource (fixed uid), a description, a unit, and thresholds where a value can be
 * good or bad; ids and refIds are assigned when the board is built, so output is deterministic.
 */
import { type Builder } from '@grafana/grafana-foundation-sdk/cog';
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dash from '@grafana/grafana-foundation-sdk/dashboard';
import * as piechart from '@grafana/grafana-foundation-sdk/piechart';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';

/** uid of the Prometheus datasource in grafana/provisioning/datasources/prometheus.yml. */
export const DATASOURCE_UID = 'streamline-prometheus';
export const DATASOURCE = { type: 'prometheus', uid: DATASOURCE_UID } as const;
/** Tag every Streamline dashboard carries (the dashboards link menu lists them). */
export const TAG = 'streamline';

export interface Query {
  readonly expr: string;
  readonly legend?: string;
}

/** Threshold steps: [from value (null = base), colour]. */
export type Steps = ReadonlyArray<readonly [number | null, string]>;

interface PanelSpec {
  readonly title: string;
  readonly description: string;
  readonly w: number;
  readonly h: number;
  readonly queries: readonly Query[];
  readonly unit?: string;
  readonly thresholds?: Steps;
  readonly min?: number;
  readonly max?: number;
  readonly decimals?: number;
  readonly mappings?: dash.ValueMapping[];
}

export const GREEN = 'green';
export const RED = 'red';
export const ORANGE = 'orange';
export const YELLOW = 'yellow';
export const BLUE = 'blue';

/** Only informative (no good/bad): a single neutral step. */
const NEUTRAL: Steps = [[null, BLUE]];

function thresholds(steps: Steps): dash.ThresholdsConfigBuilder {
  return new dash.ThresholdsConfigBuilder()
    .mode(dash.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

function target(q: Query, instant: boolean): DataqueryBuilder {
  const b = new DataqueryBuilder()
    .datasource(DATASOURCE)
    .expr(q.expr)
    .legendFormat(q.legend ?? '__auto');
  return instant ? b.instant().format(PromQueryFormat.TimeSeries) : b.range();
}

interface CommonFieldPanel<T> {
  title(t: string): T;
  description(d: string): T;
  datasource(d: { type?: string; uid?: string }): T;
  height(h: number): T;
  span(w: number): T;
  unit(u: string): T;
  thresholds(t: Builder<dash.ThresholdsConfig>): T;
  min(m: number): T;
  max(m: number): T;
  decimals(d: number): T;
  mappings(m: dash.ValueMapping[]): T;
  withTarget(t: DataqueryBuilder): T;
}

function apply<T extends CommonFieldPanel<T>>(panel: T, spec: PanelSpec, instant: boolean): T {
  let p = panel
    .title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .height(spec.h)
    .span(spec.w)
    .unit(spec.unit ?? 'short')
    .thresholds(thresholds(spec.thresholds ?? NEUTRAL));
  if (spec.min !== undefined) p = p.min(spec.min);
  if (spec.max !== undefined) p = p.max(spec.max);
  if (spec.decimals !== undefined) p = p.decimals(spec.decimals);
  if (spec.mappings) p = p.mappings(spec.mappings);
  for (const q of spec.queries) p = p.withTarget(target(q, instant));
  return p;
}

/** A time series: how something evolves (rates, latencies, gauges). */
export function timeSeries(
  spec: PanelSpec & {
    readonly stack?: 'normal' | 'percent';
    /** Draw the thresholds as dashed lines. */
    readonly showThresholds?: boolean;
    readonly legendCalcs?: string[];
  },
): timeseries.PanelBuilder {
  const p = apply(new timeseries.PanelBuilder(), spec, false)
    .lineWidth(1)
    .fillOpacity(spec.stack ? 35 : 10)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(
          spec.legendCalcs ? common.LegendDisplayMode.Table : common.LegendDisplayMode.List,
        )
        .placement(common.LegendPlacement.Bottom)
        .calcs(spec.legendCalcs ?? []),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder()
        .mode(common.TooltipDisplayMode.Multi)
        .sort(common.SortOrder.Descending),
    )
    .thresholdsStyle(
      new common.GraphThresholdsStyleConfigBuilder().mode(
        spec.showThresholds
          ? common.GraphThresholdsStyleMode.Dashed
          : common.GraphThresholdsStyleMode.Off,
      ),
    );
  if (spec.stack) {
    p.stacking(
      new common.StackingConfigBuilder().mode(
        spec.stack === 'percent' ? common.StackingMode.Percent : common.StackingMode.Normal,
      ),
    );
  }
  return p;
}

/** A big number (last value, or the reducer given), coloured by thresholds. */
export function statPanel(
  spec: PanelSpec & {
    readonly reducer?: 'lastNotNull' | 'mean' | 'max' | 'sum';
    readonly graph?: boolean;
    readonly background?: boolean;
    readonly text?: 'value' | 'name' | 'value_and_name';
    /** Instant query (one value per series): for counts over the dashboard's range. */
    readonly instant?: boolean;
  },
): stat.PanelBuilder {
  return apply(new stat.PanelBuilder(), spec, spec.instant ?? false)
    .reduceOptions(
      new common.ReduceDataOptionsBuilder().calcs([spec.reducer ?? 'lastNotNull']).values(false),
    )
    .graphMode(spec.graph ? common.BigValueGraphMode.Area : common.BigValueGraphMode.None)
    .colorMode(
      spec.background ? common.BigValueColorMode.Background : common.BigValueColorMode.Value,
    )
    .textMode(
      spec.text === 'name'
        ? common.BigValueTextMode.Name
        : spec.text === 'value_and_name'
          ? common.BigValueTextMode.ValueAndName
          : common.BigValueTextMode.Auto,
    )
    .justifyMode(common.BigValueJustifyMode.Auto)
    .orientation(common.VizOrientation.Auto);
}

/** Horizontal bars over the dashboard's range: rankings ("top rules", "rejection reasons"). */
export function barsPanel(spec: PanelSpec): bargauge.PanelBuilder {
  return apply(new bargauge.PanelBuilder(), spec, true)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .valueMode(common.BarGaugeValueMode.Color)
    .showUnfilled(true)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

/** A donut of shares over the dashboard's range ("outcome mix", "languages"). */
export function piePanel(spec: PanelSpec): piechart.PanelBuilder {
  return apply(new piechart.PanelBuilder(), spec, true)
    .pieType(piechart.PieChartType.Donut)
    .displayLabels([piechart.PieChartLabels.Percent])
    .legend(
      new piechart.PieChartLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Right)
        .values([piechart.PieChartLegendValues.Value, piechart.PieChartLegendValues.Percent]),
    )
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false));
}

/** Value mapping of a 0/1 gauge to words and colours (up, consumer up). */
export function upDownMapping(up: string, down: string): dash.ValueMapping[] {
  return [
    {
      type: dash.MappingType.ValueToText,
      options: {
        '0': { text: down, color: RED, index: 0 },
        '1': { text: up, color: GREEN, index: 1 },
      },
    },
  ];
}

export interface VariableSpec {
  readonly name: string;
  readonly label: string;
  /** Grafana's Prometheus variable query, `label_values(<selector>, <label>)`. */
  readonly query: string;
  readonly description: string;
}

/** A multi-value template variable with "All" (`.*`), refreshed with the time range. */
function variable(spec: VariableSpec): dash.QueryVariableBuilder {
  return new dash.QueryVariableBuilder(spec.name)
    .label(spec.label)
    .description(spec.description)
    .datasource(DATASOURCE)
    .query(spec.query)
    .definition(spec.query)
    .refresh(dash.VariableRefresh.OnTimeRangeChanged)
    .sort(dash.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: 'All', value: '$__all' });
}

export interface BoardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly variables: readonly VariableSpec[];
  /** Default time range, e.g. now-1h. */
  readonly from?: string;
}

type Item = { kind: 'row'; title: string } | { kind: 'panel'; panel: Builder<dash.Panel> };

/** Collects rows and panels; `build()` lays them out (the SDK packs spans into rows of 24). */
export class Board {
  private readonly items: Item[] = [];

  constructor(readonly spec: BoardSpec) {}

  row(title: string): this {
    this.items.push({ kind: 'row', title });
    return this;
  }

  add(...panels: Array<Builder<dash.Panel>>): this {
    for (const panel of panels) this.items.push({ kind: 'panel', panel });
    return this;
  }

  build(): dash.Dashboard {
    const s = this.spec;
    const b = new dash.DashboardBuilder(s.title)
      .uid(s.uid)
      .description(s.description)
      .tags([TAG, ...s.tags])
      .editable()
      .timezone('browser')
      .tooltip(dash.DashboardCursorSync.Crosshair)
      .refresh('10s')
      .time({ from: s.from ?? 'now-1h', to: 'now' })
      .link(
        new dash.DashboardLinkBuilder('Streamline')
          .type(dash.DashboardLinkType.Dashboards)
          .tags([TAG])
          .asDropdown(true)
          .includeVars(true)
          .keepTime(true)
          .icon('external link')
          .tooltip('')
          .url('')
          .targetBlank(false),
      );
    for (const v of s.variables) b.withVariable(variable(v));
    for (const item of this.items) {
      if (item.kind === 'row') b.withRow(new dash.RowBuilder(item.title));
      else b.withPanel(item.panel);
    }
    const built = b.build();
    // Stable ids and refIds: panel order is the file's order.
    let id = 0;
    for (const panel of built.panels ?? []) {
      id += 1;
      (panel as { id?: number }).id = id;
      const targets = (panel as { targets?: Array<{ refId?: string }> }).targets ?? [];
      targets.forEach((t, i) => {
        t.refId = String.fromCharCode(65 + i);
      });
    }
    return built;
  }
}

/** Per-second rate of a counter over Grafana's rate interval (the dashboards' one rate window). */
export const rate = (selector: string): string => `rate(${selector}[$__rate_interval])`;
