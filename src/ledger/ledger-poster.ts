import { RetriableError } from '../platform/messaging/errors.js';
import { BatchCoalescer } from './batch-coalescer.js';
import { type TransferRequest, type TransferResult } from './domain/transfer.js';
import { type LedgerMetrics } from './ledger.metrics.js';
import { LedgerStoreError, type LedgerRepository } from './ledger.repository.js';

/**
 * Posts the consumer's requests through one BatchCoalescer: one batch in flight, chunks of
 * several partitions merged into it. Store failures the repository marks retriable become
 * `RetriableError`s (the consumer retries the chunk with backoff, then gives it back to Kafka
 * uncommitted); anything else escapes as is, so the consumer isolates the failing message and
 * dead-letters it (HANDLER.FAILED).
 */
export class LedgerPoster {
  private readonly coalescer: BatchCoalescer<TransferRequest, TransferResult>;

  constructor(
    private readonly repository: LedgerRepository,
    private readonly metrics: LedgerMetrics,
    maxBatch: number,
  ) {
    this.coalescer = new BatchCoalescer<TransferRequest, TransferResult>(
      (requests) => this.postBatch(requests),
      {
        maxItems: maxBatch,
        isolate: (err) => !isRetriableStoreError(err),
        onRun: ({ items, submissions, seconds }) => {
          this.metrics.batchSize.observe(items);
          this.metrics.mergedChunks.observe(submissions);
          this.metrics.postDuration.observe(seconds);
          this.metrics.queuedRequests.set(this.coalescer.queued);
        },
      },
    );
  }

  /** Trace headers of requests in flight, by request event id (merged batches share this map). */
  private readonly traceHeaders = new Map<string, Readonly<Record<string, string>>>();

  async post(
    requests: readonly TransferRequest[],
    traceHeaders?: ReadonlyMap<string, Readonly<Record<string, string>>>,
  ): Promise<readonly TransferResult[]> {
    for (const [id, headers] of traceHeaders ?? []) this.traceHeaders.set(id, headers);
    try {
      return await this.coalescer.submit(requests);
    } catch (err) {
      if (isRetriableStoreError(err)) {
        throw new RetriableError(err.message, { cause: err });
      }
      throw err;
    } finally {
      for (const id of traceHeaders?.keys() ?? []) this.traceHeaders.delete(id);
    }
  }

  private async postBatch(requests: readonly TransferRequest[]): Promise<TransferResult[]> {
    const result = await this.repository.postBatch(requests, this.traceHeaders);
    if (result.attempts > 1) this.metrics.batchAttempts.inc(result.attempts - 1);
    return [...result.results];
  }
}

function isRetriableStoreError(err: unknown): err is LedgerStoreError {
  return err instanceof LedgerStoreError && err.retriable;
}
