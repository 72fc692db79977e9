/**
 * Durations in rule files are strings with units, e.g. `250ms`, `30s`, `5m`, `1h30m`, `2d`.
 * Bare numbers are refused: "5" could mean seconds or minutes, and a wrong guess makes a
 * rule silently useless.
 */
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};
const DURATION_RE = /^(?:\d+(?:ms|s|m|h|d|w))+$/;
const PART_RE = /(\d+)(ms|s|m|h|d|w)/g;

/** Milliseconds, or null when `text` is not a duration. */
export function parseDuration(text: string): number | null {
  const compact = text.trim();
  if (!DURATION_RE.test(compact)) return null;
  let total = 0;
  for (const m of compact.matchAll(PART_RE)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return Number.isSafeInteger(total) ? total : null;
}

/** The shortest readable form, e.g. 90000 -> "1m30s". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of ['w', 'd', 'h', 'm', 's', 'ms']) {
    const size = UNIT_MS[unit]!;
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
