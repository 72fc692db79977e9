import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOGHUB_FILES, LOGHUB_SYSTEMS, parseLoghubText } from '../../src/alerting/domain/loghub.js';
import { type LogLine } from '../../src/platform/schemas/generated.js';
import { type Rng } from './random.js';

const CRITICAL_LEVELS = new Set(['ERROR', 'FATAL', 'CRITICAL', 'CRIT', 'SEVERE', 'EMERG', 'ALERT']);
const CRITICAL_TEXT =
  /fail|error|fatal|panic|denied|refused|exception|timed? ?out|segfault|unreachable|corrupt|killed|invalid user/i;

/** A line that a log-alerting rule set should care about. */
export function isCritical(line: Pick<LogLine, 'level' | 'message'>): boolean {
  return CRITICAL_LEVELS.has((line.level ?? '').toUpperCase()) || CRITICAL_TEXT.test(line.message);
}

type Template = Omit<LogLine, 'eventId' | 'timestamp'>;

/**
 * Replays log lines: the loghub samples (real logs of 15 systems, parsed by the alerting
 * service's own loghub parsers) when available, else a small built-in generator. Lines are
 * re-stamped (new event id, current time) so every replay is a new event; the original text,
 * source, host, level and fields are kept. `critical(source)` serves the lines a burst replays.
 */
export class LogReplayer {
  private readonly cursors = new Map<string, number>();
  private readonly criticalCursors = new Map<string, number>();
  private readonly sources: string[];
  /** Sources with critical lines, for bursts. */
  readonly burstSources: string[];

  private constructor(
    readonly dataset: 'loghub' | 'builtin',
    private readonly lines: ReadonlyMap<string, readonly Template[]>,
    private readonly criticalLines: ReadonlyMap<string, readonly Template[]>,
    private readonly rng: Rng,
  ) {
    this.sources = [...lines.keys()].filter((s) => (lines.get(s)?.length ?? 0) > 0);
    this.burstSources = [...criticalLines.keys()].filter(
      (s) => (criticalLines.get(s)?.length ?? 0) > 0,
    );
    if (this.sources.length === 0 || this.burstSources.length === 0) {
      throw new Error(`log dataset ${dataset} has no usable lines`);
    }
  }

  /** The loghub samples in `dir` (e.g. ../shared/eval-data/loghub), or undefined when absent. */
  static fromLoghub(dir: string, rng: Rng): LogReplayer | undefined {
    const lines = new Map<string, Template[]>();
    const critical = new Map<string, Template[]>();
    for (const system of LOGHUB_SYSTEMS) {
      const file = join(dir, LOGHUB_FILES[system]);
      if (!existsSync(file)) continue;
      const parsed = parseLoghubText(system, readFileSync(file, 'utf8')).map(
        ({ eventId: _e, timestamp: _t, ...rest }) => ({
          ...rest,
          fields: { ...rest.fields, replay: 'loghub' },
        }),
      );
      lines.set(system, parsed);
      critical.set(system, parsed.filter(isCritical));
    }
    if (lines.size === 0) return undefined;
    return new LogReplayer('loghub', lines, critical, rng);
  }

  /** Synthetic lines for when the loghub samples are not on this machine. */
  static builtin(rng: Rng): LogReplayer {
    const lines = new Map<string, Template[]>();
    const critical = new Map<string, Template[]>();
    for (const [source, normal, bad] of BUILTIN) {
      const expand = (templates: readonly BuiltinLine[]): Template[] =>
        Array.from({ length: 200 }, (_, i) => {
          const [level, text] = templates[i % templates.length] as BuiltinLine;
          return {
            source,
            host: `${source}-${(i % 4) + 1}`,
            level,
            message: fill(text, rng),
            fields: { replay: 'builtin' },
          };
        });
      lines.set(source, [...expand(normal), ...expand(bad).slice(0, 10)]);
      critical.set(source, expand(bad));
    }
    return new LogReplayer('builtin', lines, critical, rng);
  }

  /** The next line of a randomly chosen source (each source replays its file in order). */
  next(now: number): LogLine {
    return this.take(this.lines, this.cursors, this.rng.pick(this.sources), now);
  }

  /** The next critical line of `source` (a burst replays one source's critical lines). */
  critical(source: string, now: number): LogLine {
    return this.take(this.criticalLines, this.criticalCursors, source, now);
  }

  pickBurstSource(): string {
    return this.rng.pick(this.burstSources);
  }

  private take(
    pool: ReadonlyMap<string, readonly Template[]>,
    cursors: Map<string, number>,
    source: string,
    now: number,
  ): LogLine {
    const list = pool.get(source) ?? [];
    const i = cursors.get(source) ?? 0;
    cursors.set(source, (i + 1) % Math.max(1, list.length));
    const t = list[i] as Template;
    return { ...t, fields: { ...(t.fields ?? {}) }, eventId: randomUUID(), timestamp: now };
  }
}

type BuiltinLine = readonly [level: string, text: string];

const BUILTIN: ReadonlyArray<readonly [string, readonly BuiltinLine[], readonly BuiltinLine[]]> = [
  [
    'payments-api',
    [
      ['INFO', 'POST /v1/charges 201 in {ms} ms'],
      ['INFO', 'GET /v1/charges/{id} 200 in {ms} ms'],
      ['DEBUG', 'idempotency key {id} stored'],
      ['WARN', 'slow query on charges ({ms} ms)'],
    ],
    [
      ['ERROR', 'payment provider timeout after 30000 ms (charge {id})'],
      ['ERROR', 'connection refused: ledger-db:5432'],
      ['FATAL', 'OutOfMemoryError: Java heap space'],
    ],
  ],
  [
    'sshd',
    [
      ['INFO', 'Accepted publickey for deploy from {ip} port {port} ssh2'],
      ['INFO', 'Received disconnect from {ip} port {port}:11: disconnected by user'],
    ],
    [
      ['WARN', 'Failed password for root from 203.0.113.{n} port {port} ssh2'],
      ['WARN', 'Invalid user admin from 198.51.100.{n} port {port}'],
    ],
  ],
  [
    'kernel',
    [
      ['INFO', 'eth0: link up, 1000Mbps, full-duplex'],
      ['INFO', 'EXT4-fs (sda1): mounted filesystem with ordered data mode'],
    ],
    [
      ['ERROR', 'Out of memory: Killed process {n} (java) total-vm:{ms}kB'],
      ['CRITICAL', 'EXT4-fs error (device sda1): ext4_find_entry: reading directory lblock 0'],
    ],
  ],
  [
    'nginx',
    [
      ['INFO', '{ip} - - "GET /health HTTP/1.1" 200 2'],
      ['INFO', '{ip} - - "POST /v1/transfers HTTP/1.1" 202 52'],
    ],
    [
      [
        'ERROR',
        'upstream timed out (110: Connection timed out) while reading response header from upstream',
      ],
      ['ERROR', 'connect() failed (111: Connection refused) while connecting to upstream'],
    ],
  ],
];

function fill(text: string, rng: Rng): string {
  return text
    .replace(/\{ms\}/g, () => String(rng.int(2, 900)))
    .replace(/\{id\}/g, () => rng.int(100000, 999999).toString(36))
    .replace(/\{ip\}/g, () => `10.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`)
    .replace(/\{port\}/g, () => String(rng.int(1024, 65535)))
    .replace(/\{n\}/g, () => String(rng.int(1, 20)));
}
