import {
  formatTraceparent,
  parseTraceparent,
  TRACEPARENT,
  TRACESTATE,
  type Tracer,
} from '../platform/observability/tracing.js';

/**
 * Longest `tracestate` forwarded. W3C asks vendors to propagate at least 512 characters; a
 * longer value is dropped (not cut: entries must stay whole). Without a bound, one request header
 * would be copied onto every record of a batch.
 */
export const TRACESTATE_MAX = 512;

type HeaderValue = string | string[] | undefined;

export interface RequestTrace {
  /** `traceparent` (+ `tracestate`) for every Kafka record of the request and for the answer. */
  readonly headers: Readonly<Record<string, string>>;
  readonly traceId: string;
  /** Ends the request's span (recorded only when tracing is on). */
  end(): void;
}

/**
 * The trace context of one ingest request: a child of the caller's `traceparent` when it is
 * valid, else a new root trace. Tracing off, the caller's context is kept as is (nothing is
 * recorded; a new root is still made so the caller has an id to correlate with). Several
 * `traceparent` headers are invalid (W3C) and start a new trace; several `tracestate` headers are
 * joined with commas, and `tracestate` is only kept with a valid parent.
 */
export function startRequestTrace(
  tracer: Tracer,
  traceparent: HeaderValue,
  tracestate: HeaderValue,
  stream: string,
): RequestTrace {
  const parent = typeof traceparent === 'string' ? parseTraceparent(traceparent) : undefined;
  const span = tracer.span('gateway.ingest', parent, { stream });
  const headers: Record<string, string> = { [TRACEPARENT]: formatTraceparent(span.ctx) };
  if (parent) {
    const state = Array.isArray(tracestate) ? tracestate.join(',') : tracestate;
    if (state && state.length <= TRACESTATE_MAX) headers[TRACESTATE] = state;
  }
  return { headers, traceId: span.ctx.traceId, end: () => span.end() };
}
