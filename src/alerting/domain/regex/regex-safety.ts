import {
  allChars,
  firstChars,
  flattenSeq,
  literalPrefix,
  nullable,
  someRepeat,
} from './regex-analysis.js';
import { type ParsedRegex, parseRegex, type RegexNode, RegexSyntaxError } from './regex-parser.js';

/**
 * Static screening of user-supplied regexes for catastrophic backtracking.
 *
 * The rules run on V8's backtracking engine, so a pattern is accepted only when its
 * structure rules out super-linear blow-ups that an attacker-controlled log line could
 * trigger. Rejected, with a stable code and a sentence saying how to rewrite:
 *
 * - REGEX.BACKREFERENCE: `\1`, `\k<name>` (matching them is NP-hard in general).
 * - REGEX.NESTED_QUANTIFIER: a repeated group containing an unbounded quantifier, e.g.
 *   `(a+)+`, `(\w+\s?)*`, `(x+){2}`; or containing any variable quantifier when the outer
 *   one repeats more than 10 times, e.g. `(a?){20}`. `(\d{1,3}\.){3}` stays allowed.
 * - REGEX.OVERLAPPING_ALTERNATION: an alternation under a quantifier that repeats more than
 *   10 times, whose branches can start the same way, e.g. `(a|ab)*`, `(\w|\d)+`, `(|x)*`.
 * - REGEX.ADJACENT_QUANTIFIERS: two unbounded quantifiers over overlapping characters with
 *   nothing between them that the first cannot also consume, e.g. `\d+\d+`, `a.*b.*c`,
 *   `\w+\s*\w+:` (polynomial: O(n^3) per line without an anchor). One such pair is allowed
 *   when the pattern is anchored with `^` (a single start position keeps it quadratic).
 * - REGEX.LOOKAROUND_QUANTIFIER: an unbounded quantifier inside a lookaround.
 * - REGEX.REPETITION_TOO_LARGE: a counted repetition above 1000.
 * - REGEX.EMPTY_MATCH: the pattern matches the empty string, hence every line.
 * - REGEX.SYNTAX / REGEX.UNSUPPORTED / REGEX.FLAGS / REGEX.TOO_LONG.
 *
 * A leading `.*` in an unanchored pattern is dropped before compiling: it never changes
 * whether a line matches, and it turns a linear scan into a quadratic one.
 *
 * Defence in depth for the service (not part of this pure module): start Node with
 * `--enable-experimental-regexp-engine-on-excessive-backtracks`, which makes V8 switch a
 * regex that backtracks too much to its linear engine.
 */
export type RegexIssueCode =
  | 'REGEX.SYNTAX'
  | 'REGEX.UNSUPPORTED'
  | 'REGEX.FLAGS'
  | 'REGEX.TOO_LONG'
  | 'REGEX.BACKREFERENCE'
  | 'REGEX.NESTED_QUANTIFIER'
  | 'REGEX.OVERLAPPING_ALTERNATION'
  | 'REGEX.ADJACENT_QUANTIFIERS'
  | 'REGEX.LOOKAROUND_QUANTIFIER'
  | 'REGEX.REPETITION_TOO_LARGE'
  | 'REGEX.EMPTY_MATCH';

export interface RegexIssue {
  readonly code: RegexIssueCode;
  readonly message: string;
}

export interface SafeRegex {
  /** Compiled without g/y, so test() and exec() are stateless. */
  readonly regex: RegExp;
  readonly parsed: ParsedRegex;
  /** Names of the named capture groups, in order. */
  readonly groupNames: readonly string[];
}

export type SafeRegexResult =
  | { readonly ok: true; readonly value: SafeRegex }
  | { readonly ok: false; readonly issues: readonly RegexIssue[] };

export const REGEX_MAX_LENGTH = 1024;
const REPETITION_MAX = 1000;
const SMALL_REPEAT_MAX = 10;
const ALLOWED_FLAGS = /^[imsu]*$/;

/** Splits a leading inline flag group such as `(?i)` or `(?is)` off the source. */
export function splitInlineFlags(pattern: string): { source: string; flags: string } {
  const m = /^\(\?([imsu]+)\)/.exec(pattern);
  if (!m) return { source: pattern, flags: '' };
  return { source: pattern.slice(m[0].length), flags: m[1]! };
}

export function compileSafeRegex(pattern: string, extraFlags = ''): SafeRegexResult {
  const inline = splitInlineFlags(pattern);
  const flags = [...new Set((inline.flags + extraFlags).split(''))].sort().join('');
  if (!ALLOWED_FLAGS.test(flags)) {
    return fail('REGEX.FLAGS', `flags "${flags}" are not allowed; use only i, m, s, u`);
  }
  if (inline.source.length > REGEX_MAX_LENGTH) {
    return fail('REGEX.TOO_LONG', `pattern is longer than ${REGEX_MAX_LENGTH} characters`);
  }
  let source = inline.source;
  if (/^\.\*\??(?![*+?{])/.test(source)) source = source.replace(/^\.\*\??/, '');
  try {
    new RegExp(source, flags);
  } catch (err: unknown) {
    const reason = err instanceof Error ? err.message : String(err);
    return fail('REGEX.SYNTAX', `invalid regular expression: ${reason}`);
  }
  let parsed: ParsedRegex;
  try {
    parsed = parseRegex(source, flags);
  } catch (err: unknown) {
    if (err instanceof RegexSyntaxError) {
      return fail(
        'REGEX.UNSUPPORTED',
        `unsupported syntax at position ${err.position}: ${err.message}`,
      );
    }
    throw err;
  }
  const issues = analyseRegex(parsed);
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    value: { regex: new RegExp(source, flags), parsed, groupNames: parsed.groupNames },
  };
}

function fail(code: RegexIssueCode, message: string): SafeRegexResult {
  return { ok: false, issues: [{ code, message }] };
}

/** Returns every backtracking hazard found in the pattern (empty when safe). */
export function analyseRegex(parsed: ParsedRegex): RegexIssue[] {
  const issues = new Map<RegexIssueCode, RegexIssue>();
  const add = (code: RegexIssueCode, message: string): void => {
    if (!issues.has(code)) issues.set(code, { code, message });
  };
  const fold = parsed.flags.includes('i');

  const visit = (node: RegexNode, inLook: boolean): void => {
    switch (node.kind) {
      case 'backref':
        add('REGEX.BACKREFERENCE', `backreferences (\\${node.ref}) are not allowed`);
        return;
      case 'look':
        if (someRepeat(node.body, (r) => r.max === Infinity)) {
          add(
            'REGEX.LOOKAROUND_QUANTIFIER',
            'lookarounds may not contain unbounded quantifiers (*, +, {n,})',
          );
        }
        visit(node.body, true);
        return;
      case 'repeat':
        checkRepeat(node, add, fold);
        visit(node.body, inLook);
        return;
      case 'seq':
        node.items.forEach((i) => visit(i, inLook));
        return;
      case 'alt':
        node.options.forEach((o) => visit(o, inLook));
        return;
      case 'group':
        visit(node.body, inLook);
        return;
      default:
        return;
    }
  };
  visit(parsed.ast, false);
  checkAdjacency(parsed.ast, !parsed.flags.includes('m') && startsAnchored(parsed.ast), add);
  if (nullable(parsed.ast) && issues.size === 0) {
    add('REGEX.EMPTY_MATCH', 'pattern matches the empty string, so it would match every line');
  }
  return [...issues.values()];
}

type Add = (code: RegexIssueCode, message: string) => void;
type RepeatNode = Extract<RegexNode, { kind: 'repeat' }>;

function checkRepeat(node: RepeatNode, add: Add, fold: boolean): void {
  const bound = node.max === Infinity ? node.min : node.max;
  if (bound > REPETITION_MAX) {
    add('REGEX.REPETITION_TOO_LARGE', `counted repetition above ${REPETITION_MAX} is not allowed`);
  }
  if (node.max <= 1) return;
  const inner = node.body;
  const innerUnbounded = someRepeat(inner, (r) => r.max === Infinity);
  const innerVariable = someRepeat(inner, (r) => r.min !== r.max);
  const outerLarge = node.max === Infinity || node.max > SMALL_REPEAT_MAX;
  if (innerUnbounded || (innerVariable && outerLarge)) {
    add(
      'REGEX.NESTED_QUANTIFIER',
      'nested quantifiers (a repeated group that itself contains *, + or a variable count, ' +
        'like (a+)+) can backtrack exponentially; repeat the inner part only once',
    );
  }
  if (outerLarge && hasOverlappingAlternation(inner, fold)) {
    add(
      'REGEX.OVERLAPPING_ALTERNATION',
      'a repeated alternation whose branches can match the same text (like (a|ab)* or ' +
        '(\\w|\\d)+) can backtrack exponentially; make the branches start differently',
    );
  }
}

/** An alternation (outside nested repeats) with two branches that can start alike. */
function hasOverlappingAlternation(node: RegexNode, fold: boolean): boolean {
  switch (node.kind) {
    case 'alt': {
      const opts = node.options;
      for (let i = 0; i < opts.length; i++) {
        for (let j = i + 1; j < opts.length; j++) {
          if (branchesOverlap(opts[i]!, opts[j]!, fold)) return true;
        }
      }
      return opts.some((o) => hasOverlappingAlternation(o, fold));
    }
    case 'seq':
      return node.items.some((i) => hasOverlappingAlternation(i, fold));
    case 'group':
      return hasOverlappingAlternation(node.body, fold);
    default:
      return false;
  }
}

function branchesOverlap(a: RegexNode, b: RegexNode, fold: boolean): boolean {
  if (nullable(a) || nullable(b)) return true;
  if (!firstChars(a).intersects(firstChars(b))) return false;
  const pa = literalPrefix(a, fold);
  const pb = literalPrefix(b, fold);
  const n = Math.min(pa.length, pb.length);
  for (let k = 0; k < n; k++) if (pa[k] !== pb[k]) return false;
  return true;
}

/**
 * Looks for chains of unbounded quantifiers over overlapping characters in every
 * concatenation (including inside groups and alternation branches).
 */
function checkAdjacency(root: RegexNode, anchored: boolean, add: Add): void {
  const check = (node: RegexNode, topLevel: boolean): void => {
    const items = flattenSeq(node);
    const chain = longestChain(items);
    const allowed = topLevel && anchored ? 2 : 1;
    if (chain > allowed) {
      add(
        'REGEX.ADJACENT_QUANTIFIERS',
        'two unbounded quantifiers can match the same characters with nothing forcing where ' +
          'one ends (like \\d+\\d+ or a.*b.*c), which backtracks polynomially; use a negated ' +
          'class such as [^:]*, anchor the pattern with ^, or use keywords with mode all',
      );
    }
    for (const item of items) {
      if (item.kind === 'alt') item.options.forEach((o) => check(o, false));
      else if (item.kind === 'repeat' || item.kind === 'look') check(item.body, false);
    }
  };
  check(root, true);
}

function startsAnchored(node: RegexNode): boolean {
  const first = flattenSeq(node)[0];
  return first !== undefined && first.kind === 'assert' && first.which === '^';
}

function longestChain(items: readonly RegexNode[]): number {
  let best = 0;
  for (let i = 0; i < items.length; i++) {
    const head = items[i]!;
    if (!isUnbounded(head)) continue;
    let length = 1;
    let absorb = allChars(head.body);
    for (let j = i + 1; j < items.length; j++) {
      const item = items[j]!;
      if (isUnbounded(item)) {
        const chars = allChars(item.body);
        if (chars.intersects(absorb)) {
          if (isTerminal(items, j)) break;
          length++;
          absorb = chars;
          continue;
        }
      }
      if (item.kind === 'assert' || item.kind === 'look') continue;
      if (nullable(item)) continue;
      if (allChars(item).isSubsetOf(absorb)) continue;
      break;
    }
    best = Math.max(best, length);
  }
  return best;
}

function isUnbounded(node: RegexNode): node is RepeatNode {
  return node.kind === 'repeat' && node.max === Infinity;
}

/** Nothing after position j can fail, so the quantifier at j never gives characters back. */
function isTerminal(items: readonly RegexNode[], j: number): boolean {
  for (let k = j + 1; k < items.length; k++) {
    const item = items[k]!;
    if (item.kind === 'assert' || item.kind === 'look' || !nullable(item)) return false;
  }
  return true;
}
