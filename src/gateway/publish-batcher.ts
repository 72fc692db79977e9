import { type EventPublisher, type OutgoingRecord } from '../platform/messaging/publisher.js';

/**
 * Coalesces concurrent requests into produce requests. The platform's producer is idempotent
 * with one request in flight per broker, so one `send` per HTTP request would serialise every
 * request behind the previous broker round trip. Instead, per topic, records queue while a send
 * is in flight and go out together in the next one (up to `maxBatch` records); each HTTP request
 * resolves when the send that carried its records was acknowledged by the broker (acks=all,
 * through `EventPublisher`), and fails with it.
 */
export class OverloadedError extends Error {
  constructor() {
    super('too many events waiting for the broker');
    this.name = 'OverloadedError';
  }
}

export class PublishTimeoutError extends Error {
  constructor(ms: number) {
    super(`broker did not acknowledge within ${ms} ms`);
    this.name = 'PublishTimeoutError';
  }
}

interface Waiting {
  readonly records: readonly OutgoingRecord[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

class TopicQueue {
  private readonly queue: Waiting[] = [];
  private queued = 0;
  private running = false;

  constructor(
    private readonly topic: string,
    private readonly publisher: EventPublisher,
    private readonly maxBatch: number,
    private readonly maxQueued: number,
  ) {}

  enqueue(records: readonly OutgoingRecord[]): Promise<void> {
    if (this.queued + records.length > this.maxQueued && this.queued > 0) {
      return Promise.reject(new OverloadedError());
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records, resolve, reject });
      this.queued += records.length;
      if (!this.running) {
        this.running = true;
        // Let requests parsed in the same tick join the first send.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const taken: Waiting[] = [];
      const records: OutgoingRecord[] = [];
      while (this.queue.length > 0) {
        const next = this.queue[0] as Waiting;
        if (taken.length > 0 && records.length + next.records.length > this.maxBatch) break;
        this.queue.shift();
        taken.push(next);
        for (const r of next.records) records.push(r);
      }
      this.queued -= records.length;
      try {
        await this.publisher.publish(this.topic, records);
        for (const w of taken) w.resolve();
      } catch (err) {
        for (const w of taken) w.reject(err);
      }
    }
    this.running = false;
  }

  get size(): number {
    return this.queued;
  }
}

export class PublishBatcher {
  private readonly queues = new Map<string, TopicQueue>();

  constructor(
    private readonly publisher: EventPublisher,
    private readonly options: { maxBatch: number; maxQueued: number; timeoutMs: number },
  ) {}

  /** Resolves once the broker acknowledged every record (acks=all); rejects on error/timeout. */
  async publish(topic: string, records: readonly OutgoingRecord[]): Promise<void> {
    let q = this.queues.get(topic);
    if (!q) {
      q = new TopicQueue(topic, this.publisher, this.options.maxBatch, this.options.maxQueued);
      this.queues.set(topic, q);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new PublishTimeoutError(this.options.timeoutMs)),
        this.options.timeoutMs,
      );
    });
    try {
      await Promise.race([q.enqueue(records), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Records waiting for the broker, all topics. */
  get queued(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.size;
    return n;
  }
}
