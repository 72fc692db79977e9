import { type Worker } from 'node:worker_threads';
import { AvroSerde } from '../../platform/messaging/avro-serde.js';
import {
  errorMessage,
  PermanentMessageError,
  RetriableError,
} from '../../platform/messaging/errors.js';
import { type MessagingConfig } from '../../platform/messaging/kafka.js';
import { type AppLogger as Logger } from '../../platform/logging/logger.js';
import { startModuleWorker } from '../../platform/workers/start-worker.js';
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
  const { starts, ends } = values;
  const chunk = new PrematchBuilder(rules, ends.length, maxLineLength);
  const undecodable: UndecodableLine[] = [];
  const bytes = Buffer.from(values.bytes);
  const skim = (options.skim ?? true) && logLineSkimmable;
  const matcher = rules.matcher;
  const headers = matcher.hasUnfiltered ? headerVerdicts(rules) : null;
  // Whether values with schema id `skimId` are laid out as log-line.avsc (asked once per id).
  let skimId: number | undefined;
  let skimmable = false;
  for (let i = 0; i < ends.length; i++) {
    const from = starts[i]!;
    const end = ends[i]!;
    // Most lines match nothing: when the rules can tell so from the source, host, level and
    // message bytes, the line is not decoded at all (see CombinedMatcher.mayMatchAscii).
    if (skim && end >= 0) {
      const id = AvroSerde.framedIdAt(bytes, from, end);
      if (id !== skimId) {
        skimId = id;
        skimmable = id !== undefined && serde.readsAsWritten(bytes, from, end, 'log-line');
      }
      if (
        skimmable &&
        skimLogLineAt(bytes, from + AvroSerde.headerBytes, end) &&
        skimmed.messageEnd - skimmed.messageStart <= maxLineLength
      ) {
        let may = matcher.literalsMayMatchAscii(bytes, skimmed.messageStart, skimmed.messageEnd);
        if (may === false && headers !== null) may = headers.mayMatch(bytes);
        if (may === false) {
          chunk.addUnmatched(skimmed.timestamp);
          continue;
        }
      }
    }
    try {
      if (end < 0)
        chunk.add(serde.decodeSync<LogLine>(null, 'log-line')); // throws: no value
      else if (serde.canDecodeSyncAt(bytes, from, end))
        chunk.add(serde.decodeSyncAt<LogLine>(bytes, from, end, 'log-line'));
      else {
        chunk.add(await serde.decode<LogLine>(bytes.subarray(from, end), 'log-line'));
        skimId = undefined; // the registry was asked: the id may be known now
      }
    } catch (err) {
      if (!(err instanceof PermanentMessageError)) throw err;
      undecodable.push({ index: i, reasonCode: err.reasonCode, error: err.message });
    }
  }
  return { prematched: chunk.build(), undecodable };
}

/**
 * What rules that need no literal say about a source, host and level (CombinedMatcher's
 * unfilteredMayMatch), by the bytes that encode the three: lines come from a few sources and
 * hosts, so the answer is looked up instead of building three strings and a prepared line per
 * line. One table per rule set; a full table is emptied.
 */
class HeaderVerdicts {
  private static readonly MAX_ENTRIES = 4096;
  private readonly byHash = new Map<number, { readonly key: Buffer; readonly verdict: boolean }>();

  constructor(private readonly rules: CompiledRuleSet) {}

  /** For the line skimLogLineAt read last from `b`. */
  mayMatch(b: Buffer): boolean {
    const from = skimmed.headerStart;
    const to = skimmed.headerEnd;
    let hash = 0x811c9dc5;
    for (let i = from; i < to; i++) hash = Math.imul(hash ^ b[i]!, 0x01000193);
    const known = this.byHash.get(hash);
    if (known !== undefined && sameBytes(known.key, b, from, to)) return known.verdict;
    const verdict = this.rules.matcher.unfilteredMayMatch(
      prepareLine({
        eventId: '',
        timestamp: skimmed.timestamp,
        source: b.toString('latin1', skimmed.sourceStart, skimmed.sourceEnd),
        host: latin1OrNull(b, skimmed.hostStart, skimmed.hostEnd),
        level: latin1OrNull(b, skimmed.levelStart, skimmed.levelEnd),
        message: '',
        fields: NO_FIELDS,
      }),
    );
    if (known === undefined) {
      if (this.byHash.size >= HeaderVerdicts.MAX_ENTRIES) this.byHash.clear();
      this.byHash.set(hash, { key: Buffer.from(b.subarray(from, to)), verdict });
    }
    return verdict;
  }
}

const headerTables = new WeakMap<CompiledRuleSet, HeaderVerdicts>();

function headerVerdicts(rules: CompiledRuleSet): HeaderVerdicts {
  let table = headerTables.get(rules);
  if (!table) headerTables.set(rules, (table = new HeaderVerdicts(rules)));
  return table;
}

function sameBytes(key: Buffer, b: Buffer, from: number, to: number): boolean {
  if (key.length !== to - from) return false;
  for (let i = 0; i < key.length; i++) if (key[i] !== b[from + i]) return false;
  return true;
}

function latin1OrNull(b: Buffer, start: number, end: number): string | null {
  return start < 0 ? null : b.toString('latin1', start, end);
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

/** Read position of skimLogLineAt's helpers. */
let at = 0;

/**
 * Where skimLogLineAt found the parts of the line it read last (offsets into its buffer; a
 * null host or level has start -1). `headerStart`..`headerEnd` are the bytes that encode the
 * source, host and level together.
 */
const skimmed = {
  timestamp: 0,
  headerStart: 0,
  headerEnd: 0,
  sourceStart: 0,
  sourceEnd: 0,
  hostStart: -1,
  hostEnd: -1,
  levelStart: -1,
  levelEnd: -1,
  messageStart: 0,
  messageEnd: 0,
};

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

/** Start of the string skipAscii skipped last (it ends at `at`). */
let fieldStart = 0;

/** Skips an ASCII string ending by `end`; false for anything else (the full decode reads it). */
function skipAscii(b: Buffer, end: number): boolean {
  const len = readLong(b);
  if (len < 0 || at + len > end) return false;
  for (let i = at; i < at + len; i++) if (b[i]! >= 0x80) return false;
  fieldStart = at;
  at += len;
  return true;
}

/** A ["null", "string"] union: 0 for null, 1 for an ASCII string (skipAscii), -1 otherwise. */
function skipOptionalAscii(b: Buffer, end: number): number {
  const branch = readLong(b);
  if (branch === 0) return 0;
  return branch === 1 && skipAscii(b, end) ? 1 : -1;
}

/**
 * Reads the body of a LogLine written with log-line.avsc as it is (eventId, timestamp, source,
 * host, level, message, fields) from `pos` to `end` into `skimmed`: the timestamp and where the
 * source, host, level and message are; skips the rest, checking that the record ends exactly
 * at `end`. False when anything is not as expected (a non-ASCII source, host or level, an
 * unsafe long, a bad union branch, a short or long body): the caller decodes the value in
 * full, which says what is wrong. Allocates nothing.
 */
function skimLogLineAt(b: Buffer, pos: number, end: number): boolean {
  at = pos;
  if (!skipString(b, end)) return false; // eventId
  const timestamp = readLong(b);
  if (!(timestamp >= -9_007_199_254_740_990 && timestamp <= 9_007_199_254_740_990)) return false;
  const s = skimmed;
  s.timestamp = timestamp;
  s.headerStart = at;
  if (!skipAscii(b, end)) return false;
  s.sourceStart = fieldStart;
  s.sourceEnd = at;
  const host = skipOptionalAscii(b, end);
  if (host < 0) return false;
  s.hostStart = host === 0 ? -1 : fieldStart;
  s.hostEnd = host === 0 ? -1 : at;
  const level = skipOptionalAscii(b, end);
  if (level < 0) return false;
  s.levelStart = level === 0 ? -1 : fieldStart;
  s.levelEnd = level === 0 ? -1 : at;
  s.headerEnd = at;
  const messageLength = readLong(b);
  if (messageLength < 0 || at + messageLength > end) return false;
  s.messageStart = at;
  s.messageEnd = at + messageLength;
  at += messageLength;
  for (;;) {
    let count = readLong(b);
    if (count === 0) break;
    if (count < 0) {
      count = -count;
      readLong(b); // block size in bytes
    }
    for (let i = 0; i < count; i++) {
      if (at > end || !skipString(b, end) || !skipString(b, end)) return false;
    }
    if (at > end) return false;
  }
  return at === end;
}

/** skimLogLineAt's reading of the LogLine body in bytes [pos, end) of `b`, as values. */
export function skimLogLine(b: Buffer, pos: number, end: number): SkimmedLine | null {
  if (!skimLogLineAt(b, pos, end)) return null;
  const s = skimmed;
  return {
    line: {
      timestamp: s.timestamp,
      source: b.toString('latin1', s.sourceStart, s.sourceEnd),
      host: latin1OrNull(b, s.hostStart, s.hostEnd),
      level: latin1OrNull(b, s.levelStart, s.levelEnd),
    },
    messageStart: s.messageStart,
    messageEnd: s.messageEnd,
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
      readonly starts: Int32Array;
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
 * Message values in one buffer (transferable to a worker): value i is bytes
 * [starts[i], ends[i]); both are -1 for a null value. Values may have other bytes between them.
 */
export interface PackedValues {
  readonly bytes: ArrayBuffer;
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

/** Copies `values` one after the other into one buffer. */
export function packValues(values: readonly (Buffer | null)[]): PackedValues {
  const n = values.length;
  let total = 0;
  for (const v of values) if (v) total += v.length;
  const bytes = new ArrayBuffer(total);
  const view = new Uint8Array(bytes);
  const starts = new Int32Array(n);
  const ends = new Int32Array(n);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!v) {
      starts[i] = ends[i] = -1;
      continue;
    }
    view.set(v, at);
    starts[i] = at;
    at += v.length;
    ends[i] = at;
  }
  return { bytes, starts, ends };
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
    const { bytes, starts, ends } = packValues(values);
    const message: ToMatchWorker = {
      type: 'chunk',
      id,
      revision: rules.revision,
      bytes,
      starts,
      ends,
    };
    return new Promise<DecodedChunk>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.postMessage(message, [
        bytes,
        starts.buffer as ArrayBuffer,
        ends.buffer as ArrayBuffer,
      ]);
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

/** Starts match-worker (compiled, or from TypeScript sources under tsx and jest). */
function startWorker(data: MatchWorkerData): Worker {
  return startModuleWorker(import.meta.url, './match-worker', { workerData: data });
}
