import { Controller, Inject } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { namedLogger } from '../platform/logging/logger.js';
import { type BatchOutcome, type ConsumedMessage } from '../platform/messaging/batch-consumer.js';
import { TOPICS } from '../platform/messaging/topics.js';
import { type TransferRequested } from '../platform/schemas/generated.js';
import { getTracer } from '../platform/observability/tracing.js';
import { parseChunk, tallyResults } from './consumer-mapping.js';
import { LedgerPoster } from './ledger-poster.js';
import { LedgerMetrics } from './ledger.metrics.js';

/**
 * `transactions.requested` → the ledger. Per chunk (one partition, in order): messages with field
 * errors are returned as failures (dead-lettered with VALIDATION.INVALID: they cannot be given an
 * outcome); the rest are posted in one batch — merged with other partitions' chunks in flight,
 * see LedgerPoster — whose outcomes and outbox events commit in one transaction before this
 * resolves, so the runner commits the offsets only after them.
 *
 * Idempotency conflicts (same transfer id, different body) are logged and counted, not
 * dead-lettered: the id already has its one recorded outcome and its one event, a replay could
 * never change that, and the sender can read the outcome at GET /transfers/:id. The DLQ is for
 * messages an operator may repair and replay, which a conflict is not.
 */
@Controller()
export class TransferRequestedConsumer {
  private readonly logger = namedLogger('TransferRequestedConsumer');

  constructor(
    @Inject(LedgerPoster) private readonly poster: LedgerPoster,
    @Inject(LedgerMetrics) private readonly metrics: LedgerMetrics,
  ) {}

  @EventPattern(TOPICS.transfersRequested.name)
  async onTransferRequested(
    @Payload() messages: ConsumedMessage<TransferRequested>[],
  ): Promise<BatchOutcome> {
    const { requests, sources, failures, invalidCurrencies } = parseChunk(messages);
    if (requests.length > 0) {
      const tracer = getTracer();
      const traceHeaders = new Map<string, Record<string, string>>();
      sources.forEach((message, i) => {
        const headers = tracer.propagate(message.headers, 'ledger.post');
        const eventId = requests[i]?.requestEventId;
        if (eventId && Object.keys(headers).length > 0) traceHeaders.set(eventId, headers);
      });
      const results = await this.poster.post(requests, traceHeaders);
      const tally = tallyResults(requests, sources, results);
      this.metrics.record(tally);
      for (const conflict of tally.conflicts) {
        this.logger.warn(conflict, 'transfer id reused with a different body: not posted');
      }
    }
    // Counted only once the chunk's batch committed, so a retried chunk is not counted twice.
    for (const currency of invalidCurrencies) this.metrics.count(currency, 'invalid');
    return { failures };
  }
}
