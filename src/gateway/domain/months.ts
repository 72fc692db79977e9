/** Calendar months (UTC): the period of the monthly usage quota. */
export interface UtcMonth {
  /** `YYYY-MM-01`, the key of the usage row. */
  readonly key: string;
  readonly start: Date;
  readonly end: Date;
}

let cached: UtcMonth | undefined;

/** The UTC month holding `nowMs` (the current one is cached: it is asked per request). */
export function utcMonth(nowMs: number): UtcMonth {
  if (cached && nowMs >= cached.start.getTime() && nowMs < cached.end.getTime()) return cached;
  const d = new Date(nowMs);
  const month = monthOf(d.getUTCFullYear(), d.getUTCMonth());
  cached = month;
  return month;
}

function monthOf(year: number, monthIndex: number): UtcMonth {
  const start = new Date(Date.UTC(year, monthIndex, 1));
  const end = new Date(Date.UTC(year, monthIndex + 1, 1));
  return { key: start.toISOString().slice(0, 10), start, end };
}

/** Parses `YYYY-MM` (query parameter of GET /v1/usage); undefined when malformed. */
export function parseMonth(text: string): UtcMonth | undefined {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(text);
  if (!m) return undefined;
  return monthOf(Number(m[1]), Number(m[2]) - 1);
}

/** Whole seconds from `nowMs` to the start of the next UTC month (at least 1). */
export function secondsToMonthEnd(nowMs: number): number {
  return Math.max(1, Math.ceil((utcMonth(nowMs).end.getTime() - nowMs) / 1000));
}
