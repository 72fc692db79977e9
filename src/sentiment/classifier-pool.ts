import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type Logger } from 'pino';
import { RetriableError } from '../platform/messaging/errors.js';
import {
  classifyComment,
  type ClassifyOptions,
  type ClassifyRequest,
  type ClassifyResult,
} from './comment-classifier.js';
import {
  isWorkerReply,
  type WorkerData,
  type WorkerReply,
  type WorkerTask,
} from './classifier-protocol.js';
import { type SentimentModel } from './domain/index.js';

/** A classifier task ran longer than SENTIMENT_TASK_TIMEOUT_MS: its worker was replaced. */
export class ClassifierTimeoutError extends Error {
  constructor(
    readonly items: number,
    timeoutMs: number,
  ) {
    super(`classifying ${items} comment(s) took longer than ${timeoutMs} ms; worker replaced`);
    this.name = 'ClassifierTimeoutError';
  }
}

/** What the pool reports to metrics (implemented by SentimentMetrics). */
export interface ClassifierPoolObserver {
  /** A task finished on `worker` ("0", "1", … or "main" in-process) after `busySeconds` of work. */
  taskDone(worker: string, items: number, busySeconds: number): void;
  workerRestarted(): void;
}

export interface ClassifierPoolOptions {
  readonly model: SentimentModel;
  /** The artifact's JSON text: each worker builds its own model from it. */
  readonly artifact: string;
  /** Worker threads; 0 classifies in-process. */
  readonly workers: number;
  readonly classify: ClassifyOptions;
  readonly taskTimeoutMs: number;
  readonly logger: Logger;
  readonly observer?: ClassifierPoolObserver;
  /** Compiled worker entry; default `./classifier.worker.js` beside this module. */
  readonly workerUrl?: URL;
  /** Longest wait for a worker to load the model (default 60 s). */
  readonly startTimeoutMs?: number;
}

export interface ClassifierPoolStats {
  readonly mode: 'workers' | 'in-process';
  readonly size: number;
  readonly live: number;
  /** Comments sent to workers and not answered yet, plus those waiting for a live worker. */
  readonly queuedItems: number;
  readonly restarts: number;
  /** Cumulative busy seconds (all workers, or the main thread in-process). */
  readonly busySeconds: number;
}

interface Task {
  readonly id: number;
  readonly items: readonly ClassifyRequest[];
  resolve(results: ClassifyResult[]): void;
  reject(err: Error): void;
}

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  ready: boolean;
  /** Tasks posted to the worker, answered in order (a worker handles one message at a time). */
  readonly inflight: Task[];
  pendingItems: number;
  timer: NodeJS.Timeout | undefined;
  failures: number;
}

/** Below this many comments a chunk is not split across workers (messaging overhead). */
const MIN_PART = 16;
/** In-process: comments classified between two yields to the event loop. */
const INLINE_SLICE = 200;

/**
 * Sentiment classification on worker threads: one model per worker, each chunk split into
 * contiguous parts across the least-loaded workers and reassembled in order. The main thread
 * only clones the texts over and the compact results back.
 *
 * Falls back to classifying on the main thread when SENTIMENT_WORKERS=0 or when the compiled
 * worker file is absent (running from TypeScript sources under jest, where a worker cannot load
 * `.ts`). A worker that dies is replaced and its tasks fail with a RetriableError (the consumer
 * retries the chunk); a task that overruns the timeout fails with ClassifierTimeoutError (not
 * retriable: the consumer isolates the comment and dead-letters it) and its worker is replaced.
 */
export class ClassifierPool {
  private readonly slots: Slot[] = [];
  private readonly backlog: Task[] = [];
  private nextId = 1;
  private restarts = 0;
  private busySeconds = 0;
  private closed = false;

  private constructor(
    private readonly options: ClassifierPoolOptions,
    readonly mode: 'workers' | 'in-process',
  ) {}

  static async start(options: ClassifierPoolOptions): Promise<ClassifierPool> {
    const url = options.workerUrl ?? new URL('./classifier.worker.js', import.meta.url);
    if (options.workers === 0) {
      options.logger.info('SENTIMENT_WORKERS=0: classifying on the main thread');
      return new ClassifierPool(options, 'in-process');
    }
    if (url.protocol !== 'file:' || !existsSync(fileURLToPath(url))) {
      options.logger.warn(
        { workerFile: url.href },
        'classifier worker file not found (running from TypeScript sources?): classifying on the main thread',
      );
      return new ClassifierPool(options, 'in-process');
    }
    const pool = new ClassifierPool(options, 'workers');
    try {
      await Promise.all(
        Array.from({ length: options.workers }, (_, index) => {
          const slot: Slot = {
            index,
            worker: undefined,
            ready: false,
            inflight: [],
            pendingItems: 0,
            timer: undefined,
            failures: 0,
          };
          pool.slots.push(slot);
          return pool.spawn(slot, url);
        }),
      );
    } catch (err) {
      await pool.close();
      throw err;
    }
    options.logger.info({ workers: options.workers }, 'classifier workers ready');
    return pool;
  }

  get size(): number {
    return this.mode === 'workers' ? this.slots.length : 0;
  }

  stats(): ClassifierPoolStats {
    return {
      mode: this.mode,
      size: this.size,
      live: this.slots.filter((s) => s.ready).length,
      queuedItems:
        this.slots.reduce((n, s) => n + s.pendingItems, 0) +
        this.backlog.reduce((n, t) => n + t.items.length, 0),
      restarts: this.restarts,
      busySeconds: this.busySeconds,
    };
  }

  /** Classifies `items`, results in the same order. */
  async classify(items: readonly ClassifyRequest[]): Promise<ClassifyResult[]> {
    if (items.length === 0) return [];
    if (this.closed) throw new RetriableError('classifier pool is closed');
    if (this.mode === 'in-process') return this.classifyInline(items);
    const live = Math.max(1, this.slots.filter((s) => s.ready).length);
    const parts = Math.max(1, Math.min(live, Math.ceil(items.length / MIN_PART)));
    const size = Math.ceil(items.length / parts);
    const pending: Array<Promise<ClassifyResult[]>> = [];
    for (let i = 0; i < items.length; i += size)
      pending.push(this.submit(items.slice(i, i + size)));
    const settled = await Promise.allSettled(pending);
    const out: ClassifyResult[] = [];
    let failure: Error | undefined;
    for (const s of settled) {
      if (s.status === 'fulfilled') {
        out.push(...s.value);
        continue;
      }
      const reason = s.reason instanceof Error ? s.reason : new Error(String(s.reason));
      // A timeout wins over a retriable error: retrying the chunk would time out again.
      if (failure === undefined || reason instanceof ClassifierTimeoutError) failure = reason;
    }
    if (failure !== undefined) throw failure;
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    const err = new RetriableError('classifier pool closed');
    for (const task of this.backlog.splice(0)) task.reject(err);
    await Promise.all(
      this.slots.map(async (slot) => {
        this.failSlot(slot, err);
        const worker = slot.worker;
        slot.worker = undefined;
        if (worker) await worker.terminate();
      }),
    );
  }

  private async classifyInline(items: readonly ClassifyRequest[]): Promise<ClassifyResult[]> {
    const out: ClassifyResult[] = [];
    for (let i = 0; i < items.length; i += INLINE_SLICE) {
      if (i > 0) await yieldToLoop();
      const started = performance.now();
      const slice = items.slice(i, i + INLINE_SLICE);
      for (const item of slice) {
        out.push(classifyComment(this.options.model, item, this.options.classify));
      }
      this.recordBusy('main', slice.length, (performance.now() - started) / 1000);
    }
    return out;
  }

  private recordBusy(worker: string, items: number, seconds: number): void {
    this.busySeconds += seconds;
    this.options.observer?.taskDone(worker, items, seconds);
  }

  private submit(items: readonly ClassifyRequest[]): Promise<ClassifyResult[]> {
    return new Promise<ClassifyResult[]>((resolve, reject) => {
      const task: Task = { id: this.nextId++, items, resolve, reject };
      const slot = this.leastLoaded();
      if (slot) this.post(slot, task);
      else this.backlog.push(task);
    });
  }

  private leastLoaded(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) {
      if (s.ready && (best === undefined || s.pendingItems < best.pendingItems)) best = s;
    }
    return best;
  }

  private post(slot: Slot, task: Task): void {
    const worker = slot.worker;
    if (!worker || !slot.ready) {
      this.backlog.push(task);
      return;
    }
    slot.inflight.push(task);
    slot.pendingItems += task.items.length;
    const message: WorkerTask = { kind: 'task', id: task.id, items: task.items };
    worker.postMessage(message);
    if (slot.inflight.length === 1) this.armTimer(slot);
  }

  /** The head task of a slot is the one its worker is working on: time it. */
  private armTimer(slot: Slot): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    const head = slot.inflight[0];
    if (!head) return;
    const timeoutMs = this.options.taskTimeoutMs;
    slot.timer = setTimeout(() => {
      slot.timer = undefined;
      if (slot.inflight[0] !== head) return;
      slot.inflight.shift();
      slot.pendingItems -= head.items.length;
      head.reject(new ClassifierTimeoutError(head.items.length, timeoutMs));
      this.options.logger.error(
        { worker: slot.index, items: head.items.length, timeoutMs },
        'classifier task timed out; replacing worker',
      );
      this.replace(slot, new RetriableError('classifier worker replaced after a timeout'));
    }, timeoutMs);
    slot.timer.unref();
  }

  private onReply(slot: Slot, reply: WorkerReply): void {
    if (reply.kind !== 'result') return;
    const head = slot.inflight[0];
    if (!head || head.id !== reply.id) return; // a task that already timed out
    slot.inflight.shift();
    slot.pendingItems -= head.items.length;
    slot.failures = 0;
    this.recordBusy(String(slot.index), head.items.length, reply.busyMs / 1000);
    this.armTimer(slot);
    if (reply.results.length !== head.items.length) {
      head.reject(
        new Error(`worker answered ${reply.results.length} results for ${head.items.length}`),
      );
    } else {
      head.resolve(reply.results);
    }
  }

  private failSlot(slot: Slot, err: Error): void {
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = undefined;
    slot.ready = false;
    for (const task of slot.inflight.splice(0)) task.reject(err);
    slot.pendingItems = 0;
  }

  /** Terminates the slot's worker (if any), fails its tasks and starts a new one. */
  private replace(slot: Slot, err: Error): void {
    this.failSlot(slot, err);
    const old = slot.worker;
    slot.worker = undefined;
    if (old) {
      old.removeAllListeners();
      old.on('error', () => undefined);
      void old.terminate();
    }
    if (this.closed) return;
    this.restarts += 1;
    this.options.observer?.workerRestarted();
    slot.failures += 1;
    const delay = Math.min(5000, 50 * 2 ** Math.min(slot.failures, 7));
    setTimeout(() => {
      if (this.closed) return;
      this.spawn(slot, this.workerUrl()).then(
        () => this.flushBacklog(),
        (e: unknown) => {
          this.options.logger.error(
            { worker: slot.index, err: String(e) },
            'worker restart failed',
          );
          this.replace(slot, new RetriableError('classifier worker restart failed'));
        },
      );
    }, delay).unref();
  }

  private workerUrl(): URL {
    return this.options.workerUrl ?? new URL('./classifier.worker.js', import.meta.url);
  }

  private flushBacklog(): void {
    while (this.backlog.length > 0) {
      const slot = this.leastLoaded();
      const task = this.backlog.shift();
      if (!slot || !task) {
        if (task) this.backlog.unshift(task);
        return;
      }
      this.post(slot, task);
    }
  }

  /** Starts the slot's worker and resolves once it has built its model. */
  private spawn(slot: Slot, url: URL): Promise<void> {
    const data: WorkerData = {
      artifact: this.options.artifact,
      maxChars: this.options.classify.maxChars,
      entities: this.options.classify.entities,
    };
    const worker = new Worker(url, {
      workerData: data,
      name: `sentiment-classifier-${slot.index}`,
    });
    slot.worker = worker;
    const startTimeoutMs = this.options.startTimeoutMs ?? 60_000;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      const timer = setTimeout(() => {
        if (!started) {
          reject(new Error(`classifier worker ${slot.index} not ready after ${startTimeoutMs} ms`));
          this.replaceQuietly(slot, worker);
        }
      }, startTimeoutMs);
      worker.on('message', (message: unknown) => {
        if (!isWorkerReply(message)) return;
        if (message.kind === 'ready') {
          started = true;
          clearTimeout(timer);
          slot.ready = true;
          resolve();
        } else if (message.kind === 'fatal') {
          clearTimeout(timer);
          if (!started) reject(new Error(`classifier worker ${slot.index}: ${message.error}`));
          this.replaceQuietly(slot, worker);
        } else {
          this.onReply(slot, message);
        }
      });
      worker.on('error', (err) => {
        this.options.logger.error({ worker: slot.index, err: err.message }, 'worker error');
        if (!started) {
          clearTimeout(timer);
          reject(err);
        }
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        if (slot.worker !== worker) return; // replaced on purpose
        if (!started) {
          reject(new Error(`classifier worker ${slot.index} exited with ${code} before ready`));
          slot.worker = undefined;
          return;
        }
        this.options.logger.error({ worker: slot.index, code }, 'classifier worker exited');
        this.replace(slot, new RetriableError(`classifier worker exited with code ${code}`));
      });
    });
  }

  /** During start-up a broken worker is just terminated; start() reports the error. */
  private replaceQuietly(slot: Slot, worker: Worker): void {
    if (slot.worker === worker) slot.worker = undefined;
    slot.ready = false;
    void worker.terminate();
  }
}
