import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { loadLedgerConfig } from '../../src/ledger/ledger.config.js';
import { ledgerAppModule } from '../../src/ledger/ledger.module.js';
import { physicalTopic, TOPICS } from '../../src/platform/messaging/topics.js';
import {
  formatTraceparent,
  newTraceContext,
  parseTraceparent,
} from '../../src/platform/observability/tracing.js';
import {
  type TransferRejected,
  type TransferRequested,
} from '../../src/platform/schemas/generated.js';
import { runService, type RunningService } from '../../src/platform/service/run-service.js';
import { loadServiceConfig } from '../../src/platform/service/service-config.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestPlatform, readAll, uniqueName, type TestPlatform } from '../support/kafka.js';

/**
 * Trace context travels with the money: a W3C `traceparent` on the request reaches the outcome
 * event unchanged in trace id — through the consumer, the ledger's outbox row and the relay.
 */
describe('trace context from transfer request to outcome event (via the outbox)', () => {
  const prefix = `${uniqueName('trace')}.`;
  let db: TestDatabase;
  let p: TestPlatform;
  let svc: RunningService;

  beforeAll(async () => {
    db = await createTestDatabase('trace');
    const env = {
      ...process.env,
      HTTP_PORT: '0',
      DATABASE_URL: db.url,
      KAFKA_TOPIC_PREFIX: prefix,
      LEDGER_CONSUMER_GROUP: uniqueName('trace'),
    };
    const config = loadServiceConfig(env, 'ledger', 0);
    svc = await runService(ledgerAppModule(config, loadLedgerConfig(env)), {
      config,
      title: 'Ledger',
      description: 'test',
      handleSignals: false,
    });
    p = await createTestPlatform();
  });

  afterAll(async () => {
    await svc?.shutdown('test done');
    await p?.close();
    await db?.drop();
  });

  it('keeps the trace id from the request to the outcome event', async () => {
    const requestTopic = physicalTopic(TOPICS.transfersRequested.name, prefix);
    await p.serde.registerValueSchema(requestTopic, 'transfer-requested');
    const trace = newTraceContext();
    const request: TransferRequested = {
      eventId: randomUUID(),
      transferId: randomUUID(),
      kind: 'TRANSFER',
      // Unknown accounts: the ledger records a rejection, which is still an outbox event.
      debitAccountId: 'nobody-1',
      creditAccountId: 'nobody-2',
      amountMinor: 100,
      currency: 'USD',
      relatedTransferId: null,
      timeoutSeconds: null,
      sourceSystem: 'trace-test',
      requestedAt: Date.now(),
      description: null,
      metadata: {},
    };
    await p.producer.send({
      topic: requestTopic,
      acks: -1,
      messages: [
        {
          key: request.transferId,
          value: p.serde.encode(requestTopic, request),
          headers: { traceparent: formatTraceparent(trace) },
        },
      ],
    });
    const [event] = await readAll(
      p.kafka,
      physicalTopic(TOPICS.transferRejected.name, prefix),
      1,
      60_000,
    );
    const outcome = await p.serde.decode<TransferRejected>(
      event?.value ?? null,
      'transfer-rejected',
    );
    expect(outcome.transferId).toBe(request.transferId);
    expect(outcome.code).toBe('LEDGER.ACCOUNT_NOT_FOUND');
    expect(parseTraceparent(event?.headers.traceparent)?.traceId).toBe(trace.traceId);
    expect(event?.headers['event-id']).toBe(outcome.eventId);
  });
});
