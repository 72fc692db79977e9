import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import {
  formatTraceparent,
  getTracer,
  newTraceContext,
  parseTraceparent,
  resetTracer,
  TRACEPARENT,
} from './tracing.js';

describe('trace context', () => {
  afterEach(() => {
    resetTracer();
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    delete process.env.TRACING_ENABLED;
  });

  it('parses and formats W3C traceparent, rejecting malformed and all-zero ids', () => {
    const ctx = newTraceContext();
    expect(parseTraceparent(formatTraceparent(ctx))).toEqual(ctx);
    expect(parseTraceparent('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')).toEqual({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      sampled: true,
    });
    expect(
      parseTraceparent('00-00000000000000000000000000000000-b7ad6b7169203331-01'),
    ).toBeUndefined();
    expect(parseTraceparent('garbage')).toBeUndefined();
    expect(parseTraceparent(undefined)).toBeUndefined();
  });

  it('passes the context through unchanged when tracing is off', () => {
    const tracer = getTracer('t');
    expect(tracer.enabled).toBe(false);
    const tp = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(tracer.propagate({ [TRACEPARENT]: tp, tracestate: 'a=b', other: 'x' })).toEqual({
      traceparent: tp,
      tracestate: 'a=b',
    });
    expect(tracer.propagate({ [TRACEPARENT]: 'bad' })).toEqual({});
    expect(tracer.propagate(undefined)).toEqual({});
  });

  it('keeps the trace id, makes a child span and exports it over OTLP/HTTP when an endpoint is set', async () => {
    const bodies: unknown[] = [];
    const server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        bodies.push({ url: req.url, body: JSON.parse(data) as unknown });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const tracer = getTracer('ledger');
    const parent = newTraceContext();
    const out = tracer.propagate({ [TRACEPARENT]: formatTraceparent(parent) }, 'ledger.post');
    const child = parseTraceparent(out[TRACEPARENT]);
    expect(child?.traceId).toBe(parent.traceId);
    expect(child?.spanId).not.toBe(parent.spanId);
    await tracer.flush();
    server.close();
    expect(bodies).toHaveLength(1);
    expect(JSON.stringify(bodies[0])).toContain(parent.traceId);
    expect(JSON.stringify(bodies[0])).toContain('"url":"/v1/traces"');
    expect(JSON.stringify(bodies[0])).toContain('streamline-ledger');
  });
});
