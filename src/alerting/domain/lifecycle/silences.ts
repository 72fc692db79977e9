import {
  type CompiledMatcher,
  compileMatchers,
  isMatcherError,
  type LabelMatcher,
  matchesAll,
  type MatcherError,
  parseMatcher,
} from '../../../platform/labels/label-matchers.js';
import { SILENCE_MATCHER_POLICY } from './silence-matchers.js';

/**
 * Silences after Alertmanager: label matchers plus a time window [startsAt, endsAt). While a
 * silence matches a firing alert, the alert's notifications are held back; when the last
 * matching silence ends (or is expired early), a still-firing alert is notified at once.
 */
export interface Silence {
  readonly id: string;
  readonly matchers: readonly LabelMatcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
}

export type SilenceState = 'pending' | 'active' | 'expired';

export function silenceState(s: Pick<Silence, 'startsAt' | 'endsAt'>, now: number): SilenceState {
  if (now < s.startsAt) return 'pending';
  return now < s.endsAt ? 'active' : 'expired';
}

export interface CompiledSilence {
  readonly silence: Silence;
  readonly matchers: readonly CompiledMatcher[];
}

/** Longest allowed silence: long enough for a holiday, short enough to be noticed. */
export const SILENCE_MAX_MS = 90 * 86_400_000;

/**
 * Validates API input `{ id, matchers: [{name, op, value}] | ["name=value", ...], startsAt,
 * endsAt, createdBy, comment }` (times as epoch ms or ISO strings).
 */
export function validateSilence(
  input: unknown,
): { ok: true; value: CompiledSilence } | { ok: false; errors: MatcherError[] } {
  const errors: MatcherError[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      ok: false,
      errors: [{ field: '', code: 'SILENCE.TYPE', message: 'a silence must be an object' }],
    };
  }
  const raw = input as Record<string, unknown>;
  const id = raw['id'];
  if (typeof id !== 'string' || id.length === 0 || id.length > 64) {
    errors.push({
      field: 'id',
      code: 'SILENCE.REQUIRED',
      message: 'id must be a non-empty string of at most 64 characters',
    });
  }
  const matchers: LabelMatcher[] = [];
  const list = raw['matchers'];
  if (!Array.isArray(list) || list.length === 0) {
    errors.push({
      field: 'matchers',
      code: 'SILENCE.REQUIRED',
      message: 'at least one matcher is required',
    });
  } else {
    list.forEach((m: unknown, i) => {
      if (typeof m === 'string') {
        const parsed = parseMatcher(m);
        if (isMatcherError(parsed)) errors.push({ ...parsed, field: `matchers[${i}]` });
        else matchers.push(parsed);
      } else if (typeof m === 'object' && m !== null) {
        const o = m as Record<string, unknown>;
        matchers.push({
          name: typeof o['name'] === 'string' ? o['name'] : '',
          op: (typeof o['op'] === 'string' ? o['op'] : '=') as LabelMatcher['op'],
          value: typeof o['value'] === 'string' ? o['value'] : '',
        });
      } else {
        errors.push({
          field: `matchers[${i}]`,
          code: 'SILENCE.TYPE',
          message: 'a matcher is "name=value" or {name, op, value}',
        });
      }
    });
  }
  const startsAt = toTime(raw['startsAt']);
  const endsAt = toTime(raw['endsAt']);
  if (startsAt === null)
    errors.push({
      field: 'startsAt',
      code: 'SILENCE.INVALID_TIME',
      message: 'startsAt must be epoch milliseconds or an ISO 8601 time',
    });
  if (endsAt === null)
    errors.push({
      field: 'endsAt',
      code: 'SILENCE.INVALID_TIME',
      message: 'endsAt must be epoch milliseconds or an ISO 8601 time',
    });
  if (startsAt !== null && endsAt !== null) {
    if (endsAt <= startsAt)
      errors.push({
        field: 'endsAt',
        code: 'SILENCE.INVALID_WINDOW',
        message: 'endsAt must be after startsAt',
      });
    else if (endsAt - startsAt > SILENCE_MAX_MS)
      errors.push({
        field: 'endsAt',
        code: 'SILENCE.TOO_LONG',
        message: 'a silence may last at most 90 days',
      });
  }
  const createdBy = raw['createdBy'];
  if (typeof createdBy !== 'string' || createdBy.trim() === '')
    errors.push({ field: 'createdBy', code: 'SILENCE.REQUIRED', message: 'createdBy is required' });
  const comment = raw['comment'] ?? '';
  if (typeof comment !== 'string' || comment.length > 2048)
    errors.push({
      field: 'comment',
      code: 'SILENCE.INVALID_VALUE',
      message: 'comment must be a string of at most 2048 characters',
    });
  const compiled = compileMatchers(matchers, SILENCE_MATCHER_POLICY);
  if (!compiled.ok) errors.push(...compiled.errors);
  else if (compiled.value.every((m) => m.test({}))) {
    errors.push({
      field: 'matchers',
      code: 'SILENCE.MATCHES_ALL',
      message:
        'at least one matcher must not match an empty label set (it would silence everything)',
    });
  }
  if (errors.length > 0 || !compiled.ok) return { ok: false, errors };
  return {
    ok: true,
    value: {
      silence: {
        id: id as string,
        matchers,
        startsAt: startsAt!,
        endsAt: endsAt!,
        createdBy: createdBy as string,
        comment: comment as string,
      },
      matchers: compiled.value,
    },
  };
}

/** Compiles silences already validated (e.g. loaded from the database). */
export function compileSilence(silence: Silence): CompiledSilence {
  const compiled = compileMatchers(silence.matchers, SILENCE_MATCHER_POLICY);
  if (!compiled.ok)
    throw new Error(
      `silence ${silence.id} has invalid matchers: ${compiled.errors[0]?.message ?? ''}`,
    );
  return { silence, matchers: compiled.value };
}

/** Ids of the silences that mute `labels` at `now`. */
export function silencedBy(
  silences: readonly CompiledSilence[],
  labels: Readonly<Record<string, string>>,
  now: number,
): string[] {
  const ids: string[] = [];
  for (const s of silences) {
    if (silenceState(s.silence, now) === 'active' && matchesAll(s.matchers, labels))
      ids.push(s.silence.id);
  }
  return ids;
}

function toTime(v: unknown): number | null {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) {
    const t = Date.parse(v);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}
