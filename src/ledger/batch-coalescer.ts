/**
 * Group commit for the Kafka handler. The consumer hands over chunks of several partitions at
 * once (`partitionsConsumedConcurrently`), but batches over the same accounts cannot post in
 * parallel — they queue on the account locks — so running them concurrently only adds lock waits
 * and transactions. Instead, at most ONE batch is in flight: chunks submitted while it runs wait
 * and are merged (in arrival order, up to `maxItems`) into the next one. Each submitter gets the
 * results of its own items once the batch holding them has committed, which keeps the
 * consumer's contract (effects durable when the handler resolves) per partition. Throughput then
 * follows the batch size, which grows by itself with the load.
 *
 * Failures: an error that `isolate` says is about the input (not the store) — a poison request —
 * would fail every chunk merged with it, so the merged batch is re-run one submission at a time
 * and only the culprit's submission fails. Other errors (retriable store trouble) fail every
 * submission of the batch; their handlers retry.
 */
export interface CoalescerOptions {
  /** Most items in one run; a single submission larger than this runs alone. */
  readonly maxItems: number;
  /** True when `err` may be caused by one submission's items rather than by the store. */
  readonly isolate: (err: unknown) => boolean;
  /** Called after every successful run (metrics). */
  readonly onRun?: (info: { items: number; submissions: number; seconds: number }) => void;
}

interface Submission<T, R> {
  readonly items: readonly T[];
  readonly resolve: (results: readonly R[]) => void;
  readonly reject: (err: unknown) => void;
}

export class BatchCoalescer<T, R> {
  private readonly queue: Submission<T, R>[] = [];
  private running = false;

  constructor(
    private readonly run: (items: readonly T[]) => Promise<readonly R[]>,
    private readonly options: CoalescerOptions,
  ) {}

  /** Items waiting for the next run (for tests and metrics). */
  get queued(): number {
    return this.queue.reduce((n, s) => n + s.items.length, 0);
  }

  submit(items: readonly T[]): Promise<readonly R[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise<readonly R[]>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      if (!this.running) {
        this.running = true;
        // Start on the next turn of the event loop, not now: the consumer hands over the chunks
        // of every partition of a fetch within the same turn, and they should share one batch
        // rather than the first running alone while the others wait for it.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.runGroup(this.takeGroup());
    } finally {
      this.running = false;
    }
  }

  /** The oldest submission plus every following one that still fits under maxItems. */
  private takeGroup(): Submission<T, R>[] {
    const group = this.queue.splice(0, 1);
    let size = group[0]?.items.length ?? 0;
    while (this.queue.length > 0) {
      const next = this.queue[0] as Submission<T, R>;
      if (size + next.items.length > this.options.maxItems) break;
      group.push(next);
      size += next.items.length;
      this.queue.shift();
    }
    return group;
  }

  private async runGroup(group: readonly Submission<T, R>[]): Promise<void> {
    const items =
      group.length === 1 ? (group[0] as Submission<T, R>).items : group.flatMap((s) => s.items);
    const started = performance.now();
    let results: readonly R[];
    try {
      results = await this.run(items);
      if (results.length !== items.length) {
        throw new Error(
          `coalesced run returned ${results.length} results for ${items.length} items`,
        );
      }
    } catch (err) {
      if (group.length > 1 && this.options.isolate(err)) {
        for (const submission of group) await this.runGroup([submission]);
      } else {
        for (const submission of group) submission.reject(err);
      }
      return;
    }
    this.options.onRun?.({
      items: items.length,
      submissions: group.length,
      seconds: (performance.now() - started) / 1000,
    });
    let at = 0;
    for (const submission of group) {
      submission.resolve(results.slice(at, at + submission.items.length));
      at += submission.items.length;
    }
  }
}
