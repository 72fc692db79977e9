import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type AvroSerde } from '../../platform/messaging/avro-serde.js';
import {
  errorMessage,
  PermanentMessageError,
  RetriableError,
} from '../../platform/messaging/errors.js';
import { type MessagingConfig } from '../../platform/messaging/kafka.js';
import { type AppLogger as Logger } from '../../platform/logging/logger.js';
import { type LogLine } from '../../platform/schemas/generated.js';
import {
  type CompiledRuleSet,
  type PrematchedChunk,
  type RuleSpec,
  prematchLines,
} from '../domain/index.js';

/** A logs.lines value that does not decode: it goes to the DLQ with this reason. */
export interface UndecodableLine {
  /** Position of the value in the chunk. */
  readonly index: number;
  readonly reasonCode: string;
  readonly error: string;
}

/** A chunk of logs.lines values, decoded and matched: the lines that decoded, in order. */
export interface DecodedChunk {
  readonly prematched: PrematchedChunk;
  readonly undecodable: readonly UndecodableLine[];
}

/**
 * Decodes Avro log lines and matches them against `rules` — the engine's stateless work on a
 * chunk, the same on a worker thread and on this one. A value that can never decode is listed
 * in `undecodable`; a registry that does not answer throws a RetriableError.
 */
export async function decodeAndMatch(
  serde: AvroSerde,
  values: PackedValues,
  rules: CompiledRuleSet,
  maxLineLength: number,
): Promise<DecodedChunk> {
  const lines: LogLine[] = [];
  const undecodable: UndecodableLine[] = [];
  const bytes = Buffer.from(values.bytes);
  const { ends } = values;
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    try {
      if (end < 0) {
        lines.push(serde.decodeSync<LogLine>(null, 'log-line')); // throws: no value
      } else {
        const from = start;
        start = end;
        lines.push(
          serde.canDecodeSyncAt(bytes, from, end)
            ? serde.decodeSyncAt<LogLine>(bytes, from, end, 'log-line')
            : await serde.decode<LogLine>(bytes.subarray(from, end), 'log-line'),
        );
      }
    } catch (err) {
      if (!(err instanceof PermanentMessageError)) throw err;
      undecodable.push({ index: i, reasonCode: err.reasonCode, error: err.message });
    }
  }
  return { prematched: prematchLines(rules, lines, maxLineLength), undecodable };
}

// ---------------------------------------------------------------- worker protocol

export interface MatchWorkerData {
  readonly messaging: MessagingConfig;
  readonly maxLineLength: number;
}

/** Values packed into one buffer (transferable to a worker); see packValues. */
export type ToMatchWorker =
  | { readonly type: 'rules'; readonly revision: string; readonly specs: readonly RuleSpec[] }
  | {
      readonly type: 'chunk';
      readonly id: number;
      readonly revision: string;
      readonly bytes: ArrayBuffer;
      readonly ends: Int32Array;
    };

export type FromMatchWorker =
  | { readonly id: 0; readonly ready: true }
  | { readonly id: number; readonly ok: true; readonly result: DecodedChunk }
  | {
      readonly id: number;
      readonly ok: false;
      readonly retriable: boolean;
      readonly error: string;
    };

/**
 * Message values one after the other in one buffer: value i is bytes [end of the last value
 * before it, ends[i]); ends[i] = -1 for a null value.
 */
export interface PackedValues {
  readonly bytes: ArrayBuffer;
  readonly ends: Int32Array;
}

export function packValues(values: readonly (Buffer | null)[]): PackedValues {
  let total = 0;
  for (const v of values) if (v) total += v.length;
  const bytes = new ArrayBuffer(total);
  const view = new Uint8Array(bytes);
  const ends = new Int32Array(values.length);
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!v) {
      ends[i] = -1;
      continue;
    }
    view.set(v, at);
    at += v.length;
    ends[i] = at;
  }
  return { bytes, ends };
}

// ---------------------------------------------------------------- the matcher the host uses

/** Decodes and matches chunks of logs.lines: on a worker thread or on the calling thread. */
export interface LineMatcher {
  /** Resolves once the matcher can take chunks (the worker has loaded its code). */
  start(): Promise<void>;
  match(values: readonly (Buffer | null)[], rules: CompiledRuleSet): Promise<DecodedChunk>;
  close(): Promise<void>;
}

export function inThreadMatcher(serde: AvroSerde, maxLineLength: number): LineMatcher {
  return {
    start: () => Promise.resolve(),
    match: (values, rules) => decodeAndMatch(serde, packValues(values), rules, maxLineLength),
    close: () => Promise.resolve(),
  };
}

interface Waiting {
  readonly resolve: (r: DecodedChunk) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Runs `decodeAndMatch` on one worker thread, so Avro decoding and matching — most of the
 * per-line work — leave the thread that runs kafkajs, the engine and the commits, and the
 * lines that match nothing (most of them) never come back. Chunks are answered in any order
 * (a decode may wait for the registry); each carries the rule set revision it is matched with.
 * A worker that dies fails what it had (retriable) and is replaced on the next chunk.
 */
export class WorkerLineMatcher implements LineMatcher {
  private worker: Worker | null = null;
  /** Resolves when the current worker has loaded (its first message). */
  private ready: Promise<void> = Promise.resolve();
  private sentRevision: string | null = null;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private closed = false;
  /** Chunks the worker failed on that the fallback matched instead. */
  fallbacks = 0;

  /**
   * `fallback` matches a chunk the worker failed on for a reason other than a transient one (a
   * defect in the worker, say): the chunk is still processed, on this thread, and logged.
   */
  constructor(
    private readonly data: MatchWorkerData,
    private readonly logger: Logger,
    private readonly fallback: LineMatcher,
  ) {}

  /**
   * Starts the worker and waits until it has loaded its code, so the first chunks do not wait
   * for that (seconds from TypeScript sources under load).
   */
  async start(): Promise<void> {
    if (!this.worker) this.spawn();
    await this.ready;
  }

  async match(values: readonly (Buffer | null)[], rules: CompiledRuleSet): Promise<DecodedChunk> {
    try {
      return await this.onWorker(values, rules);
    } catch (err) {
      if (err instanceof RetriableError) throw err;
      this.fallbacks++;
      this.logger.error(
        { err: errorMessage(err), values: values.length },
        'line matcher worker failed on a chunk; matching it on the main thread',
      );
      return this.fallback.match(values, rules);
    }
  }

  private onWorker(
    values: readonly (Buffer | null)[],
    rules: CompiledRuleSet,
  ): Promise<DecodedChunk> {
    if (this.closed) return Promise.reject(new RetriableError('line matcher is closed'));
    const worker = this.worker ?? this.spawn();
    if (this.sentRevision !== rules.revision) {
      const message: ToMatchWorker = {
        type: 'rules',
        revision: rules.revision,
        specs: rules.rules.map((r) => r.spec),
      };
      worker.postMessage(message);
      this.sentRevision = rules.revision;
    }
    const id = this.nextId++;
    const { bytes, ends } = packValues(values);
    const message: ToMatchWorker = { type: 'chunk', id, revision: rules.revision, bytes, ends };
    return new Promise<DecodedChunk>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage(message, [bytes, ends.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = null;
    this.failAll(new RetriableError('line matcher is closed'));
    if (worker) await worker.terminate();
  }

  private spawn(): Worker {
    const worker = startWorker(this.data);
    worker.unref();
    let loaded: () => void = () => undefined;
    this.ready = new Promise<void>((resolve) => {
      loaded = resolve;
    });
    worker.on('message', (m: FromMatchWorker) => {
      if ('ready' in m) {
        loaded();
        return;
      }
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.result);
      else w.reject(m.retriable ? new RetriableError(m.error) : new Error(m.error));
    });
    worker.on('error', (err) => {
      this.logger.error({ err: errorMessage(err) }, 'line matcher worker failed');
    });
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.sentRevision = null;
      if (!this.closed) this.logger.warn({ code }, 'line matcher worker exited; replacing it');
      this.failAll(new RetriableError(`line matcher worker exited (code ${code})`));
      loaded();
    });
    this.worker = worker;
    this.sentRevision = null;
    return worker;
  }

  private failAll(err: unknown): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}

/**
 * Starts match-worker: the compiled file, or from source (tsx, jest) the TypeScript file
 * behind tsx's loader — on Node 20 a worker does not inherit the `--import tsx` hooks, so a
 * bootstrap registers them in the worker first.
 */
function startWorker(data: MatchWorkerData): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts'))
    return new Worker(new URL('./match-worker.js', here), { workerData: data });
  const entry = new URL('./match-worker.ts', here).href;
  // tsx's ESM entry of the API (the package's `import` condition of tsx/esm/api).
  const tsxApi = pathToFileURL(
    createRequire(here)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData: data });
}
