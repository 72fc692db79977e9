import { type AlertEvent, type LogLine } from '../../platform/schemas/generated.js';

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
 * Returns one index into `lines` per event, -1 when no line of the chunk caused it.
 */
export function causingLines(events: readonly AlertEvent[], lines: readonly LogLine[]): number[] {
  let byEventId: Map<string, number> | undefined;
  let reach: number[] | undefined;
  const out = new Array<number>(events.length);
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    let cause = -1;
    if (e.status === 'FIRING') {
      const evidence = e.lastLines?.[e.lastLines.length - 1];
      if (evidence) {
        byEventId ??= indexByEventId(lines);
        cause = byEventId.get(evidence.eventId) ?? -1;
      }
    }
    if (cause < 0) {
      reach ??= runningMax(lines);
      cause = firstReaching(reach, e.emittedAt);
    }
    out[i] = cause;
  }
  return out;
}

/** Line index by event id (the last occurrence when a chunk holds a line twice). */
function indexByEventId(lines: readonly LogLine[]): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) m.set(lines[i]!.eventId, i);
  return m;
}

/** Newest timestamp up to each line: what engine time is at most after that line. */
function runningMax(lines: readonly LogLine[]): number[] {
  const out = new Array<number>(lines.length);
  let max = -Infinity;
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i]!.timestamp;
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
