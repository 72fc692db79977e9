import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  getTracer,
  parseTraceparent,
  resetTracer,
  type Tracer,
} from '../platform/observability/tracing.js';
import { startRequestTrace, TRACESTATE_MAX } from './request-trace.js';

const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('startRequestTrace', () => {
  let tracer: Tracer;
  beforeEach(() => {
    resetTracer();
    tracer = getTracer('gateway');
  });
  afterEach(() => {
    resetTracer();
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  });

  it('keeps a valid caller context as it is while tracing is off', () => {
    expect(tracer.enabled).toBe(false);
    const t = startRequestTrace(tracer, PARENT, 'vendor=abc', 'logs');
    expect(t.headers).toEqual({ traceparent: PARENT, tracestate: 'vendor=abc' });
    expect(t.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it('normalises the caller traceparent (case, whitespace) and joins several tracestate headers', () => {
    const t = startRequestTrace(tracer, ` ${PARENT.toUpperCase()} `, ['a=1', 'b=2'], 'logs');
    expect(t.headers).toEqual({ traceparent: PARENT, tracestate: 'a=1,b=2' });
  });

  it.each([
    ['missing', undefined],
    ['malformed', '00-xyz-b7ad6b7169203331-01'],
    ['all-zero trace id', `00-${'0'.repeat(32)}-b7ad6b7169203331-01`],
    ['repeated (invalid per W3C)', [PARENT, PARENT]],
  ])('starts a new root trace when the traceparent is %s, dropping tracestate', (_, header) => {
    const t = startRequestTrace(tracer, header, 'vendor=abc', 'logs');
    const ctx = parseTraceparent(t.headers.traceparent);
    expect(ctx).toBeDefined();
    expect(ctx?.traceId).not.toBe('0af7651916cd43dd8448eb211c80319c');
    expect(ctx?.traceId).toBe(t.traceId);
    expect(t.headers.tracestate).toBeUndefined();
    // Two requests never share a root.
    expect(startRequestTrace(tracer, header, undefined, 'logs').traceId).not.toBe(t.traceId);
  });

  it('drops a tracestate longer than W3C asks to propagate', () => {
    const long = `v=${'x'.repeat(TRACESTATE_MAX)}`;
    expect(startRequestTrace(tracer, PARENT, long, 'logs').headers).toEqual({
      traceparent: PARENT,
    });
  });

  it('records a child span of the caller when tracing exports, ended with the request', async () => {
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        bodies.push(data);
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resetTracer();
      const otlp = getTracer('gateway');
      const t = startRequestTrace(otlp, PARENT, undefined, 'comments');
      const child = parseTraceparent(t.headers.traceparent);
      expect(child?.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(child?.spanId).not.toBe('b7ad6b7169203331');
      t.end();
      await otlp.flush();
      expect(bodies).toHaveLength(1);
      const body = bodies[0] as string;
      expect(body).toContain('"name":"gateway.ingest"');
      expect(body).toContain('"parentSpanId":"b7ad6b7169203331"');
      expect(body).toContain(`"spanId":"${child?.spanId}"`);
    } finally {
      server.close();
    }
  });
});
