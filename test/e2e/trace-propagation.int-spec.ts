import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { createApiKey } from '../../src/platform/auth/api-keys.js';
import { physicalTopic, TOPICS } from '../../src/platform/messaging/topics.js';
import {
  formatTraceparent,
  newTraceContext,
  parseTraceparent,
} from '../../src/platform/observability/tracing.js';
import {
  type AlertEvent,
  type CommentAnalyzed,
  type LogLine,
} from '../../src/platform/schemas/generated.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestPlatform, readAll, uniqueName, type TestPlatform } from '../support/kafka.js';
import { startServiceProcess, testPort, type ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait-for.js';
import { bootstrap, WebhookReceiver } from './alerts-support.js';

/**
 * W3C trace context through every stream, with the BUILT services as processes (`npm run build`
 * first) on the real stack: one trace id from the HTTP request at the gateway to
 * `comments.analyzed` (gateway → sentiment), and from a log line to the alert event and on to
 * the subscriber's webhook (gateway → alerting → outbox → relay → notifier → HTTP).
 *
 * Gateway and sentiment run with tracing off (the default: the context is passed on verbatim);
 * alerting and notifier export spans over OTLP/HTTP to a loopback collector, so their records
 * carry child spans of the same trace and the collector receives those spans.
 */
const run = randomBytes(3).toString('hex');
const ruleId = `trace-disk-${run}`;
const keyword = `trace-probe-${run}`;
const rules = `
version: 1
defaults:
  realert: 0s
rules:
  - id: ${ruleId}
    type: pattern
    severity: critical
    match: { keywords: ['${keyword}'] }
    group_by: [host]
    resolve_after: 1h
`;

interface ExportedSpan {
  readonly service: string;
  readonly name: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
}

/** A loopback OTLP/HTTP (JSON) receiver: every span it was sent, with its service name. */
class OtlpCollector {
  readonly spans: ExportedSpan[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(data) as {
          resourceSpans: Array<{
            resource: { attributes: Array<{ key: string; value: { stringValue?: string } }> };
            scopeSpans: Array<{ spans: Array<Omit<ExportedSpan, 'service'>> }>;
          }>;
        };
        for (const rs of body.resourceSpans) {
          const service =
            rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
          for (const ss of rs.scopeSpans)
            for (const s of ss.spans) this.spans.push({ service, ...s });
        }
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  of(traceId: string): ExportedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}

describe('trace context through every stream (services as processes, real stack)', () => {
  const prefix = `${uniqueName('trc')}.`;
  let db: TestDatabase;
  let pool: pg.Pool;
  let p: TestPlatform;
  let collector: OtlpCollector;
  let hook: WebhookReceiver;
  const services: ServiceProcess[] = [];
  let gateway: ServiceProcess;
  let notifier: ServiceProcess;
  let key: string;

  async function ingest(
    path: string,
    body: string,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    return fetch(`${gateway.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key, ...headers },
      body,
    });
  }

  beforeAll(async () => {
    db = await createTestDatabase('trc');
    pool = db.pool(2);
    p = await createTestPlatform();
    await bootstrap(p, prefix);
    collector = await new OtlpCollector().start();
    hook = await new WebhookReceiver().start();
    const dir = mkdtempSync(join(tmpdir(), 'trace-e2e-'));
    writeFileSync(join(dir, 'rules.yaml'), rules);
    const common = { DATABASE_URL: db.url, KAFKA_TOPIC_PREFIX: prefix };
    const traced = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url };
    // One at a time: the machine running the suite may have two cores.
    gateway = await startServiceProcess('gateway', testPort(31), common);
    services.push(gateway);
    services.push(
      await startServiceProcess('sentiment', testPort(32), {
        ...common,
        SENTIMENT_CONSUMER_GROUP: uniqueName('trc-sentiment'),
        SENTIMENT_WORKERS: '1',
      }),
    );
    services.push(
      await startServiceProcess('alerting', testPort(33), {
        ...common,
        ...traced,
        ALERTING_GROUP_ID: uniqueName('trc-alerting'),
        ALERT_RULES_FILE: join(dir, 'rules.yaml'),
        ALERT_TICK_INTERVAL_MS: '200',
      }),
    );
    notifier = await startServiceProcess('notifier', testPort(34), {
      ...common,
      ...traced,
      NOTIFIER_GROUP_ID: uniqueName('trc-notifier'),
      WEBHOOK_ALLOWLIST: '127.0.0.1',
      WEBHOOK_ALLOW_HTTP: 'true',
      NOTIFIER_SECRET_KEY: randomBytes(32).toString('hex'),
      NOTIFIER_RETRY_BASE_DELAY_MS: '100',
      NOTIFIER_RETRY_MAX_DELAY_MS: '400',
      NOTIFIER_DELIVERY_POLL_MS: '200',
    });
    services.push(notifier);
    key = (
      await createApiKey(pool, {
        name: 'trace-e2e',
        scopes: ['comments:publish', 'logs:publish', 'notifications:write'],
        ratePerSecond: 1000,
      })
    ).key;
  });

  afterAll(async () => {
    for (const s of services.reverse()) await s.stop('SIGTERM');
    await hook?.stop();
    await collector?.stop();
    await p?.close();
    await pool?.end();
    await db?.drop();
  });

  it('a comment POSTed with a traceparent is analysed in the same trace (gateway → sentiment)', async () => {
    const trace = newTraceContext();
    const traceparent = formatTraceparent(trace);
    const commentId = `trc-${randomUUID()}`;
    const res = await ingest(
      '/v1/comments',
      JSON.stringify({ commentId, source: 'trace-e2e', text: 'Love it, works great!' }),
      { traceparent, tracestate: 'e2e=1' },
    );
    expect(res.status).toBe(202);
    // Tracing is off at the gateway: the caller's context is passed on as it came.
    expect(res.headers.get('traceparent')).toBe(traceparent);

    const records = await readAll(
      p.kafka,
      physicalTopic(TOPICS.commentsAnalyzed.name, prefix),
      1,
      90_000,
    );
    const record = records.find((r) => r.key === commentId);
    expect(record).toBeDefined();
    const analysis = await p.serde.decode<CommentAnalyzed>(
      record?.value ?? null,
      'comment-analyzed',
    );
    expect(analysis.commentId).toBe(commentId);
    expect(record?.headers.traceparent).toBe(traceparent);
    expect(record?.headers.tracestate).toBe('e2e=1');

    // A refused request answers with its trace context too (nothing was published).
    const bad = await ingest('/v1/comments', JSON.stringify({ source: 'trace-e2e' }), {
      traceparent,
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('traceparent')).toBe(traceparent);
  });

  it('starts a new trace for a request without one and puts it on every line of an NDJSON batch', async () => {
    const body = [1, 2, 3]
      .map((i) => JSON.stringify({ source: `trace-batch-${run}`, message: `line ${i}` }))
      .join('\n');
    const res = await ingest('/v1/logs/batch', body, {
      'content-type': 'application/x-ndjson',
      traceparent: 'garbage',
    });
    expect(res.status).toBe(202);
    const { eventIds } = (await res.json()) as { eventIds: string[] };
    const root = parseTraceparent(res.headers.get('traceparent') ?? undefined);
    expect(root).toBeDefined();

    const lines = await readAll(p.kafka, physicalTopic(TOPICS.logLines.name, prefix), 3, 60_000);
    const mine = [];
    for (const r of lines) {
      const value = await p.serde.decode<LogLine>(r.value, 'log-line');
      if (eventIds.includes(value.eventId)) mine.push(r);
    }
    expect(mine).toHaveLength(3);
    for (const r of mine)
      expect(parseTraceparent(r.headers.traceparent)?.traceId).toBe(root?.traceId);
  });

  it('a log line with a traceparent → the FIRING alert event → the webhook, one trace id', async () => {
    const sub = await fetch(`${notifier.url}/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({
        id: `trace-hook-${run}`,
        receiver: {
          type: 'webhook',
          url: hook.url,
          secret: `s-${randomBytes(16).toString('hex')}`,
        },
        filter: { ruleIds: [ruleId] },
        route: { groupBy: ['...'], groupWait: '0s', groupInterval: '1s', repeatInterval: '1h' },
      }),
    });
    expect(sub.status).toBe(201);
    // The first attempt is refused: the retry must carry the same trace, and the warning says so.
    hook.status = 503;

    const trace = newTraceContext();
    const res = await ingest(
      '/v1/logs',
      JSON.stringify({
        source: 'trace-e2e',
        host: `db-${run}`,
        level: 'ERROR',
        message: `write failed: ${keyword}`,
      }),
      { traceparent: formatTraceparent(trace) },
    );
    expect(res.status).toBe(202);
    const { eventId: lineEventId } = (await res.json()) as { eventId: string };

    // alerts.events, written through the alerting outbox and published by its relay.
    const [record] = await readAll(
      p.kafka,
      physicalTopic(TOPICS.alertEvents.name, prefix),
      1,
      60_000,
    );
    const event = (await p.serde.registry.decode(record?.value as Buffer)) as AlertEvent;
    expect(event).toMatchObject({ ruleId, status: 'FIRING' });
    expect(event.lastLines?.at(-1)?.eventId).toBe(lineEventId);
    const eventCtx = parseTraceparent(record?.headers.traceparent);
    expect(eventCtx?.traceId).toBe(trace.traceId);
    // Alerting records spans: the event is a child span, not the caller's span.
    expect(eventCtx?.spanId).not.toBe(trace.spanId);
    expect(record?.headers['event-id']).toBe(event.eventId);

    await waitFor('a refused attempt', () => hook.refused >= 1, { timeoutMs: 30_000 });
    hook.status = 200;
    const delivered = await waitFor('the webhook', () => hook.received[0], { timeoutMs: 30_000 });
    expect(delivered.body.alerts[0]?.streamline.eventId).toBe(event.eventId);
    const hookCtx = parseTraceparent(delivered.headers.traceparent);
    expect(hookCtx?.traceId).toBe(trace.traceId);
    expect(hookCtx?.spanId).not.toBe(eventCtx?.spanId);

    const warning = await waitFor('the retry warning with the trace id', () =>
      notifier.output.find(
        (l) => l.includes('delivery failed; will retry') && l.includes(trace.traceId),
      ),
    );
    expect(JSON.parse(warning)).toMatchObject({ traceId: trace.traceId });

    // Both traced services exported their spans of this trace over OTLP.
    const spans = await waitFor(
      'spans of the trace from alerting and notifier',
      () => {
        const names = new Set(collector.of(trace.traceId).map((s) => `${s.service} ${s.name}`));
        return names.has('streamline-alerting alerting.alert') &&
          names.has('streamline-notifier notifier.notify') &&
          names.has('streamline-notifier notifier.deliver')
          ? collector.of(trace.traceId)
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const alertSpan = spans.find((s) => s.name === 'alerting.alert');
    expect(alertSpan?.parentSpanId).toBe(trace.spanId);
    expect(alertSpan?.spanId).toBe(eventCtx?.spanId);
    expect(spans.find((s) => s.name === 'notifier.notify')?.parentSpanId).toBe(eventCtx?.spanId);
    expect(spans.filter((s) => s.name === 'notifier.deliver').map((s) => s.spanId)).toContain(
      hookCtx?.spanId,
    );
  });
});
