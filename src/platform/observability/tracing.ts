import { randomBytes } from 'node:crypto';
import { envOptional } from '../config/env.js';
import { namedLogger } from '../logging/logger.js';

/**
 * W3C trace context carried in Kafka headers (`traceparent`, `tracestate`) from the first event
 * (HTTP ingest or upstream producer) through every consumer, outbox row and relay to the outcome
 * event. Propagation is always on and costs a header copy; spans are recorded and exported over
 * OTLP/HTTP (JSON) only when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (`TRACING_ENABLED=true` records
 * without exporting, e.g. for logs). Off by default: no span objects, no timers.
 */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';

export interface TraceContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
}

const TRACEPARENT_RE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

export function parseTraceparent(value: string | undefined): TraceContext | undefined {
  if (!value) return undefined;
  const m = TRACEPARENT_RE.exec(value.trim().toLowerCase());
  if (!m) return undefined;
  const [, traceId, spanId, flags] = m as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

export function formatTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
}

export function newTraceContext(): TraceContext {
  return {
    traceId: randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    sampled: true,
  };
}

export function childOf(parent: TraceContext): TraceContext {
  return {
    traceId: parent.traceId,
    spanId: randomBytes(8).toString('hex'),
    sampled: parent.sampled,
  };
}

/** Trace id of a message's headers, for log lines. */
export function traceIdOf(headers: Readonly<Record<string, string>>): string | undefined {
  return parseTraceparent(headers[TRACEPARENT])?.traceId;
}

interface SpanRecord {
  readonly name: string;
  readonly ctx: TraceContext;
  readonly parentSpanId: string | undefined;
  readonly startNs: bigint;
  endNs: bigint;
  readonly attributes: Record<string, string | number>;
}

export interface Tracer {
  readonly enabled: boolean;
  /**
   * Headers to put on an event caused by a message with `incoming` headers: the same trace id
   * (a child span when recording), tracestate kept. Empty when the cause carried no context and
   * tracing is off.
   */
  propagate(
    incoming: Readonly<Record<string, string>> | undefined,
    spanName?: string,
  ): Record<string, string>;
  /** Starts a root or child span; `end()` records it. No-op when disabled. */
  span(
    name: string,
    parent: TraceContext | undefined,
    attributes?: Record<string, string | number>,
  ): { ctx: TraceContext; end(): void };
  flush(): Promise<void>;
}

class OtlpTracer implements Tracer {
  readonly enabled = true;
  private buffer: SpanRecord[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly logger = namedLogger('Tracer');

  constructor(
    private readonly service: string,
    private readonly endpoint: string | undefined,
  ) {
    if (endpoint) {
      this.timer = setInterval(() => void this.flush(), 2000);
      this.timer.unref();
    }
  }

  propagate(
    incoming: Readonly<Record<string, string>> | undefined,
    spanName = 'publish',
  ): Record<string, string> {
    const parent = parseTraceparent(incoming?.[TRACEPARENT]);
    const span = this.span(spanName, parent);
    span.end();
    const ctx = span.ctx;
    const out: Record<string, string> = { [TRACEPARENT]: formatTraceparent(ctx) };
    const state = incoming?.[TRACESTATE];
    if (state) out[TRACESTATE] = state;
    return out;
  }

  span(
    name: string,
    parent: TraceContext | undefined,
    attributes: Record<string, string | number> = {},
  ): { ctx: TraceContext; end(): void } {
    const ctx = parent ? childOf(parent) : newTraceContext();
    const record: SpanRecord = {
      name,
      ctx,
      parentSpanId: parent?.spanId,
      startNs: process.hrtime.bigint(),
      endNs: 0n,
      attributes,
    };
    const wallOffsetNs = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();
    return {
      ctx,
      end: () => {
        record.endNs = process.hrtime.bigint();
        if (!this.endpoint) return;
        this.buffer.push({
          ...record,
          startNs: record.startNs + wallOffsetNs,
          endNs: record.endNs + wallOffsetNs,
        });
        if (this.buffer.length > 10_000) this.buffer.splice(0, this.buffer.length - 10_000);
      },
    };
  }

  async flush(): Promise<void> {
    if (!this.endpoint || this.buffer.length === 0) return;
    const spans = this.buffer;
    this.buffer = [];
    const body = {
      resourceSpans: [
        {
          resource: {
            attributes: [
              { key: 'service.name', value: { stringValue: `streamline-${this.service}` } },
            ],
          },
          scopeSpans: [
            {
              scope: { name: 'streamline' },
              spans: spans.map((s) => ({
                traceId: s.ctx.traceId,
                spanId: s.ctx.spanId,
                ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
                name: s.name,
                kind: 4,
                startTimeUnixNano: s.startNs.toString(),
                endTimeUnixNano: s.endNs.toString(),
                attributes: Object.entries(s.attributes).map(([key, v]) => ({
                  key,
                  value: typeof v === 'number' ? { intValue: String(v) } : { stringValue: v },
                })),
              })),
            },
          ],
        },
      ],
    };
    try {
      const res = await fetch(`${this.endpoint.replace(/\/$/, '')}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok)
        this.logger.warn({ status: res.status, spans: spans.length }, 'OTLP export refused');
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, spans: spans.length }, 'OTLP export failed');
    }
  }
}

/** Tracing off: context is still propagated verbatim (a header copy), nothing is recorded. */
class PassThroughTracer implements Tracer {
  readonly enabled = false;

  propagate(incoming: Readonly<Record<string, string>> | undefined): Record<string, string> {
    if (!incoming) return {};
    const out: Record<string, string> = {};
    const parent = incoming[TRACEPARENT];
    if (parent !== undefined && parseTraceparent(parent)) out[TRACEPARENT] = parent;
    const state = incoming[TRACESTATE];
    if (state !== undefined && out[TRACEPARENT]) out[TRACESTATE] = state;
    return out;
  }

  span(_name: string, parent: TraceContext | undefined): { ctx: TraceContext; end(): void } {
    return { ctx: parent ?? newTraceContext(), end: () => undefined };
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }
}

let tracer: Tracer | undefined;

/** The process-wide tracer, configured from the environment on first use. */
export function getTracer(service = process.env.SERVICE_NAME ?? 'streamline'): Tracer {
  if (!tracer) {
    const endpoint = envOptional(process.env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
    const enabled = endpoint !== undefined || process.env.TRACING_ENABLED === 'true';
    tracer = enabled ? new OtlpTracer(service, endpoint) : new PassThroughTracer();
  }
  return tracer;
}

/** For tests: forget the configured tracer. */
export function resetTracer(): void {
  tracer = undefined;
}
