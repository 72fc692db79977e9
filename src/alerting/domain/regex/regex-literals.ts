import { type RegexNode } from './regex-parser.js';

/**
 * Required-literal extraction for the prefilter: a set of strings such that every line the
 * regex matches contains at least one of them (compared case-insensitively, see foldCase).
 * This is the classic "one of these factors must occur" analysis used by code-search
 * engines; it is sound (never misses a match) and only has to be selective, not exact.
 */
const EXACT_MAX = 16;
const REQUIRED_MAX = 32;
const SMALL_CLASS_MAX = 4;
/** Literals shorter than this are too common to be worth prefiltering on. */
export const LITERAL_MIN_LENGTH = 2;

interface Info {
  /** Every string the node can match, when that set is small and known. */
  readonly exact: readonly string[] | null;
  /** One of these occurs in every match. */
  readonly required: readonly string[] | null;
}

/**
 * Case folding used on both sides of the prefilter (literals and scanned text). It maps a
 * code unit to lower(upper(c)) so that characters V8's `i` flag treats as equal (σ, ς, Σ)
 * fold together; the scanner additionally maps each text character through lower(c).
 */
export function foldCase(text: string): string {
  let out = '';
  for (const ch of text) out += foldChar(ch);
  return out;
}

export function foldChar(ch: string): string {
  const up = ch.toUpperCase();
  if (up.length === 1) {
    const low = up.toLowerCase();
    if (low.length === 1) return low;
  }
  const low = ch.toLowerCase();
  return low.length === ch.length ? low : ch;
}

/** The required literals of a parsed regex, or null when it has none worth using. */
export function requiredLiterals(ast: RegexNode): string[] | null {
  const info = analyse(ast);
  const candidates: Array<readonly string[]> = [];
  if (info.exact) candidates.push(info.exact);
  if (info.required) candidates.push(info.required);
  const best = pickBest(candidates);
  if (!best) return null;
  const out = dedupe(best.map(foldCase));
  return minLength(out) >= LITERAL_MIN_LENGTH ? out : null;
}

function analyse(node: RegexNode): Info {
  switch (node.kind) {
    case 'empty':
    case 'assert':
    case 'look':
      return { exact: [''], required: null };
    case 'backref':
      return { exact: null, required: null };
    case 'char': {
      if (node.literal !== null) return { exact: [node.literal], required: null };
      const members = node.set.smallMembers(SMALL_CLASS_MAX * 2);
      if (!members) return { exact: null, required: null };
      const folded = dedupe(members.map((c) => foldChar(String.fromCharCode(c))));
      return folded.length <= SMALL_CLASS_MAX
        ? { exact: folded, required: null }
        : { exact: null, required: null };
    }
    case 'group':
      return analyse(node.body);
    case 'alt': {
      const infos = node.options.map(analyse);
      let exact: string[] | null = [];
      for (const i of infos) {
        if (!i.exact || exact === null) {
          exact = null;
          break;
        }
        exact.push(...i.exact);
      }
      if (exact) exact = dedupe(exact);
      if (exact && exact.length > EXACT_MAX) exact = null;
      let required: string[] | null = [];
      for (const i of infos) {
        const best = pickBest([i.exact, i.required].filter(isSet));
        if (!best || required === null) {
          required = null;
          break;
        }
        required.push(...best);
      }
      if (required) required = dedupe(required);
      if (required && required.length > REQUIRED_MAX) required = null;
      return { exact, required };
    }
    case 'repeat': {
      const body = analyse(node.body);
      if (node.max === 0) return { exact: [''], required: null };
      if (node.min === 0) {
        if (node.max === 1 && body.exact && body.exact.length < EXACT_MAX) {
          return { exact: dedupe(['', ...body.exact]), required: null };
        }
        return { exact: null, required: null };
      }
      const bodyBest = pickBest([body.exact, body.required].filter(isSet));
      if (node.min === node.max && node.min <= 4 && body.exact) {
        let exact: string[] | null = [''];
        for (let k = 0; k < node.min && exact; k++) exact = cross(exact, body.exact);
        if (exact) return { exact, required: bodyBest };
      }
      return { exact: null, required: bodyBest };
    }
    case 'seq': {
      const candidates: Array<readonly string[]> = [];
      let run: string[] | null = [''];
      let allExact = true;
      for (const item of node.items) {
        const info = analyse(item);
        if (info.required) candidates.push(info.required);
        const next: string[] | null = info.exact && run ? cross(run, info.exact) : null;
        if (next) {
          run = next;
          continue;
        }
        allExact = false;
        if (run) candidates.push(run);
        if (info.exact) candidates.push(info.exact);
        run = info.exact && info.exact.length <= EXACT_MAX ? [...info.exact] : [''];
      }
      if (run) candidates.push(run);
      return { exact: allExact ? run : null, required: pickBest(candidates) };
    }
  }
}

function isSet(x: readonly string[] | null): x is readonly string[] {
  return x !== null;
}

function cross(a: readonly string[], b: readonly string[]): string[] | null {
  if (a.length * b.length > EXACT_MAX) return null;
  const out: string[] = [];
  for (const x of a) for (const y of b) out.push(x + y);
  return dedupe(out);
}

function dedupe(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

function minLength(xs: readonly string[]): number {
  return xs.reduce((m, s) => Math.min(m, s.length), Infinity);
}

/** The most selective usable set: longest shortest member, then fewest members. */
function pickBest(sets: ReadonlyArray<readonly string[]>): string[] | null {
  let best: readonly string[] | null = null;
  for (const s of sets) {
    if (s.length === 0 || s.length > REQUIRED_MAX) continue;
    const len = minLength(s);
    if (len === 0) continue;
    if (!best || len > minLength(best) || (len === minLength(best) && s.length < best.length)) {
      best = s;
    }
  }
  return best ? [...best] : null;
}
