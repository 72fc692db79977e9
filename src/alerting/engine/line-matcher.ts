import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AvroSerde } from '../../platform/messaging/avro-serde.js';
import {
  errorMessage,
  PermanentMessageError,
  RetriableError,
} from '../../platform/messaging/errors.js';
import { type MessagingConfig } from '../../platform/messaging/kafka.js';
import { type AppLogger as Logger } from '../../platform/logging/logger.js';
import { type LogLine, SCHEMA_TEXTS } from '../../platform/schemas/generated.js';
import {
  type CompiledRuleSet,
  type PrematchedChunk,
  type RuleSpec,
  PrematchBuilder,
  prepareLine,
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
  options: { readonly skim?: boolean } = {},
): Promise<DecodedChunk> {
  const chunk = new PrematchBuilder(rules, values.ends.length, maxLineLength);
  const undecodable: UndecodableLine[] = [];
  const bytes = Buffer.from(values.bytes);
  const { ends } = values;
  const skim = (options.skim ?? true) && logLineSkimmable;
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i]!;
    const from = start;
    if (end >= 0) start = end;
    // Most lines match nothing: when the rules can tell so from the source, host, level and
    // message bytes, the line is not decoded at all (see CombinedMatcher.mayMatchAscii).
    if (skim && end >= 0 && serde.readsAsWritten(bytes, from, end, 'log-line')) {
      const head = skimLogLine(bytes, from + AvroSerde.headerBytes, end);
      if (head !== null && head.messageEnd - head.messageStart <= maxLineLength) {
        const { timestamp, source, host, level } = head.line;
        const header = prepareLine(
          { eventId: '', timestamp, source, host, level, message: '', fields: NO_FIELDS },
          maxLineLength,
        );
        if (
          rules.matcher.mayMatchAscii(header, bytes, head.messageStart, head.messageEnd) === false
        ) {
          chunk.addUnmatched(head.line.timestamp);
          continue;
        }
      }
    }
    try {
      chunk.add(
        end < 0
          ? serde.decodeSync<LogLine>(null, 'log-line') // throws: no value
          : serde.canDecodeSyncAt(bytes, from, end)
            ? serde.decodeSyncAt<LogLine>(bytes, from, end, 'log-line')
            : await serde.decode<LogLine>(bytes.subarray(from, end), 'log-line'),
      );
    } catch (err) {
      if (!(err instanceof PermanentMessageError)) throw err;
      undecodable.push({ index: i, reasonCode: err.reasonCode, error: err.message });
    }
  }
  return { prematched: chunk.build(), undecodable };
}

/** The structured fields of a line that is only skimmed: they are never read. */
const NO_FIELDS: Readonly<Record<string, string>> = Object.freeze({});

/** A LogLine's fields read straight from its Avro body, and where its message's bytes are. */
export interface SkimmedLine {
  readonly line: Pick<LogLine, 'timestamp' | 'source' | 'host' | 'level'>;
  readonly messageStart: number;
  readonly messageEnd: number;
}

/** The body layout skimLogLine reads; with any other log-line.avsc it is not used. */
const SKIM_LAYOUT =
  'eventId:string timestamp:long source:string host:null|string level:null|string message:string fields:map<string>';

interface AvroFieldSchema {
  readonly name: string;
  readonly type: unknown;
}

function typeText(type: unknown): string {
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.map(typeText).join('|');
  const t = type as { type: string; values?: unknown };
  return t.type === 'map' ? `map<${typeText(t.values)}>` : t.type;
}

/** Whether log-line.avsc is the layout skimLogLine reads (checked once). */
export const logLineSkimmable = ((): boolean => {
  const schema = JSON.parse(SCHEMA_TEXTS['log-line']) as { fields: AvroFieldSchema[] };
  return schema.fields.map((f) => `${f.name}:${typeText(f.type)}`).join(' ') === SKIM_LAYOUT;
})();

/** Read position of skimLogLine's helpers. */
let at = 0;

/** avsc's Tap.readLong: a zig-zag varint, in float arithmetic past 28 bits. */
function readLong(b: Buffer): number {
  let n = 0;
  let k = 0;
  let x: number;
  let h: number;
  do {
    x = b[at++]!;
    h = x & 0x80;
    n |= (x & 0x7f) << k;
    k += 7;
  } while (h && k < 28);
  if (h) {
    let f = n;
    let fk = 268_435_456;
    do {
      x = b[at++]!;
      f += (x & 0x7f) * fk;
      fk *= 128;
    } while (x & 0x80);
    return (f % 2 ? -(f + 1) : f) / 2;
  }
  return (n >> 1) ^ -(n & 1);
}

/** Skips a string (or bytes) ending by `end`; false when it does not. */
function skipString(b: Buffer, end: number): boolean {
  const len = readLong(b);
  if (len < 0 || at + len > end) return false;
  at += len;
  return true;
}

/** An ASCII string ending by `end` (undefined otherwise: the full decode reads it). */
function asciiString(b: Buffer, end: number): string | undefined {
  const len = readLong(b);
  if (len < 0 || at + len > end) return undefined;
  for (let i = at; i < at + len; i++) if (b[i]! >= 0x80) return undefined;
  const text = b.toString('latin1', at, at + len);
  at += len;
  return text;
}

/** A ["null", "string"] union: null, an ASCII string, or undefined for anything else. */
function optionalAscii(b: Buffer, end: number): string | null | undefined {
  const branch = readLong(b);
  if (branch === 0) return null;
  return branch === 1 ? asciiString(b, end) : undefined;
}

/**
 * Reads the body of a LogLine written with log-line.avsc as it is (eventId, timestamp, source,
 * host, level, message, fields) from `pos` to `end`: the timestamp, source, host and level,
 * and the bounds of the message; skips the rest, checking that the record ends exactly at
 * `end`. Null when anything is not as expected (a non-ASCII field, an unsafe long, a bad union
 * branch, a short or long body): the caller decodes the value in full, which says what is wrong.
 */
export function skimLogLine(b: Buffer, pos: number, end: number): SkimmedLine | null {
  at = pos;
  if (!skipString(b, end)) return null; // eventId
  const timestamp = readLong(b);
  if (!(timestamp >= -9_007_199_254_740_990 && timestamp <= 9_007_199_254_740_990)) return null;
  const source = asciiString(b, end);
  if (source === undefined) return null;
  const host = optionalAscii(b, end);
  if (host === undefined) return null;
  const level = optionalAscii(b, end);
  if (level === undefined) return null;
  const messageLength = readLong(b);
  if (messageLength < 0 || at + messageLength > end) return null;
  const messageStart = at;
  at += messageLength;
  for (;;) {
    let count = readLong(b);
    if (count === 0) break;
    if (count < 0) {
      count = -count;
      readLong(b); // block size in bytes
    }
    for (let i = 0; i < count; i++) {
      if (at > end || !skipString(b, end) || !skipString(b, end)) return null;
    }
    if (at > end) return null;
  }
  if (at !== end) return null;
  return {
    line: { timestamp, source, host, level },
    messageStart,
    messageEnd: messageStart + messageLength,
  };
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
