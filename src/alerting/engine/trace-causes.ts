import { type AlertEvent } from '../../platform/schemas/generated.js';

/**
 * What causingLines needs of a chunk: every line's timestamp, and the lines that can be an
 * alert's evidence (the matched ones; a PrematchedChunk is one) with their positions.
 */
export interface ChunkLines {
  readonly timestamps: ArrayLike<number>;
  readonly matched: readonly {
    readonly index: number;
    readonly line: { readonly eventId: string };
  }[];
}

/**
 * Which line of a processed chunk caused each alert event the chunk produced, so the event can
 * carry that line's trace context (W3C `traceparent` from its Kafka headers). Pure; it reads
 * only what the events already say, so the engine stays free of transport concerns:
 *
 * - FIRING (a new alert, a re-alert): the newest line of its evidence (`lastLines`), when that
 *   line is in the chunk — for line-driven rules the line whose match made it fire;
 * - RESOLVED, and a FIRING whose evidence is older than the chunk (a flatline, a notification a
 *   silence held back): the line that moved engine time to the event's `emittedAt`, i.e. the
 *   first line whose timestamp (or an earlier line's) reaches it. Engine time only moves
 *   forward and time-driven evaluation runs when a line moves it, so that line is the cause
 *   (best effort for lines whose timestamp the engine clamped, see maxFutureSkewMs).
 *
 * Returns one line position in the chunk per event, -1 when no line of the chunk caused it.
 */
export function causingLines(events: readonly AlertEvent[], chunk: ChunkLines): number[] {
  let byEventId: Map<string, number> | undefined;
  let reach: number[] | undefined;
  const out = new Array<number>(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    let cause = -1;
    if (e.status === 'FIRING') {
      const evidence = e.lastLines?.[e.lastLines.length - 1];
      if (evidence) {
        byEventId ??= indexByEventId(chunk);
        cause = byEventId.get(evidence.eventId) ?? -1;
      }
    }
    if (cause < 0) {
      reach ??= runningMax(chunk.timestamps);
      cause = firstReaching(reach, e.emittedAt);
    }
    out[i] = cause;
  }
  return out;
}

/** Line position by event id (the last occurrence when a chunk holds a line twice). */
function indexByEventId(chunk: ChunkLines): Map<string, number> {
  const m = new Map<string, number>();
  for (const { index, line } of chunk.matched) m.set(line.eventId, index);
  return m;
}

/** Newest timestamp up to each line: what engine time is at most after that line. */
function runningMax(timestamps: ArrayLike<number>): number[] {
  const out = new Array<number>(timestamps.length);
  let max = -Infinity;
  for (let i = 0; i < timestamps.length; i++) {
    const t = timestamps[i]!;
    if (Number.isFinite(t) && t > max) max = t;
    out[i] = max;
  }
  return out;
}

/** First index whose running maximum is at least `at` (binary search), -1 when none. */
function firstReaching(reach: readonly number[], at: number): number {
  let lo = 0;
  let hi = reach.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (reach[mid]! >= at) hi = mid;
    else lo = mid + 1;
  }
  return lo < reach.length ? lo : -1;
}
