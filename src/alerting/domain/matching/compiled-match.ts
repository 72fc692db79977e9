import { foldCase, requiredLiterals } from '../regex/regex-literals.js';
import { compileSafeRegex } from '../regex/regex-safety.js';
import { readField } from '../rules/field-path.js';
import { levelRank } from '../rules/log-level.js';
import { type FieldCondition, type MatchSpec } from '../rules/rule.types.js';
import { type PreparedLine } from './prepared-line.js';

export type Captures = Readonly<Record<string, string>>;
export const NO_CAPTURES: Captures = Object.freeze({});

/**
 * Tells whether a registered literal occurs in the current line. The combined matcher
 * answers from its Aho–Corasick scan; the naive path answers with a substring search.
 */
export type LiteralOracle = (id: number) => boolean;

/** Registers a folded literal and returns its id (shared between rules). */
export type LiteralRegistry = (folded: string) => number;

interface CompiledCondition {
  readonly cond: FieldCondition;
  readonly regex: RegExp | null;
  readonly notRegex: RegExp | null;
  readonly inSet: ReadonlySet<string> | null;
  readonly notInSet: ReadonlySet<string> | null;
}

/** Only reachable for specs that passed validation, which checked every regex. */
function mustCompile(source: string, flags: string): RegExp {
  const res = compileSafeRegex(source, flags);
  if (!res.ok) throw new Error(`regex was not validated: ${res.issues[0]?.message ?? ''}`);
  return res.value.regex;
}

/** A MatchSpec ready to run against prepared lines. */
export class CompiledMatch {
  /** Literals of which at least one must be present for a match; null = no prefilter. */
  readonly triggerLiterals: readonly number[] | null;
  private readonly regex: RegExp | null;
  private readonly needsCaptures: boolean;
  private readonly regexLiterals: readonly number[] | null;
  private readonly keywordIds: readonly number[];
  private readonly keywords: readonly string[];
  private readonly keywordsFolded: readonly string[];
  private readonly earlyConditions: readonly CompiledCondition[];
  private readonly lateConditions: readonly CompiledCondition[];
  private readonly minLevelRank: number;

  constructor(
    readonly spec: MatchSpec,
    registerKeyword: LiteralRegistry,
    registerRegexLiteral: LiteralRegistry = registerKeyword,
  ) {
    let captureNames: readonly string[] = [];
    if (spec.regex !== null) {
      const res = compileSafeRegex(spec.regex, spec.ignoreCase ? 'i' : '');
      if (!res.ok) throw new Error(`regex was not validated: ${res.issues[0]?.message ?? ''}`);
      this.regex = res.value.regex;
      captureNames = res.value.groupNames;
      const lits = requiredLiterals(res.value.parsed.ast);
      this.regexLiterals = lits ? lits.map(registerRegexLiteral) : null;
    } else {
      this.regex = null;
      this.regexLiterals = null;
    }
    this.needsCaptures = captureNames.length > 0;
    this.keywords = spec.keywords;
    this.keywordsFolded = spec.keywords.map(foldCase);
    this.keywordIds = this.keywordsFolded.map(registerKeyword);
    this.minLevelRank = spec.levelAtLeast === null ? -Infinity : levelRank(spec.levelAtLeast);
    const compiled = spec.where.map(compileCondition);
    const isCapture = (c: CompiledCondition): boolean =>
      c.cond.field.startsWith('fields.') && captureNames.includes(c.cond.field.slice(7));
    this.earlyConditions = compiled.filter((c) => !isCapture(c));
    this.lateConditions = compiled.filter(isCapture);
    // Keywords are the better trigger (any keyword suffices for mode any; for mode all every
    // keyword is required, so the first one is enough to make the rule a candidate).
    if (this.keywordIds.length > 0) {
      const longest = this.keywordsFolded.reduce(
        (best, k, i, all) => (k.length > all[best]!.length ? i : best),
        0,
      );
      this.triggerLiterals =
        spec.keywordsMode === 'all' ? [this.keywordIds[longest]!] : this.keywordIds;
    } else {
      this.triggerLiterals = this.regexLiterals;
    }
  }

  /** Captures (possibly NO_CAPTURES) when the line matches, else null. */
  test(p: PreparedLine, oracle: LiteralOracle): Captures | null {
    if (p.levelRank < this.minLevelRank) return null;
    for (const c of this.earlyConditions) if (!checkCondition(c, p, null)) return null;
    if (this.keywordIds.length > 0 && !this.keywordsHold(p, oracle)) return null;
    let captures: Captures = NO_CAPTURES;
    if (this.regex !== null) {
      if (this.regexLiterals !== null && !this.regexLiterals.some(oracle)) return null;
      if (this.needsCaptures) {
        const m = this.regex.exec(p.message);
        if (m === null) return null;
        if (m.groups) {
          const out: Record<string, string> = {};
          for (const [k, v] of Object.entries(m.groups)) if (v !== undefined) out[k] = v;
          captures = out;
        }
      } else if (!this.regex.test(p.message)) return null;
    }
    for (const c of this.lateConditions) if (!checkCondition(c, p, captures)) return null;
    return captures;
  }

  private keywordsHold(p: PreparedLine, oracle: LiteralOracle): boolean {
    const all = this.spec.keywordsMode === 'all';
    for (let i = 0; i < this.keywordIds.length; i++) {
      let present = oracle(this.keywordIds[i]!);
      if (present && this.spec.keywordsCaseSensitive)
        present = p.message.includes(this.keywords[i]!);
      if (present && !all) return true;
      if (!present && all) return false;
    }
    return all;
  }
}

function compileCondition(cond: FieldCondition): CompiledCondition {
  return {
    cond,
    regex: cond.regex === null ? null : mustCompile(cond.regex, ''),
    notRegex: cond.notRegex === null ? null : mustCompile(cond.notRegex, ''),
    inSet: cond.in === null ? null : new Set(cond.in),
    notInSet: cond.notIn === null ? null : new Set(cond.notIn),
  };
}

/** Field values are bounded before a regex sees them, like messages. */
const FIELD_VALUE_MAX = 1024;

function checkCondition(c: CompiledCondition, p: PreparedLine, captures: Captures | null): boolean {
  let value: string | undefined;
  if (c.cond.field === 'level') value = p.levelUpper ?? undefined;
  else if (c.cond.field === 'message') value = p.message;
  else value = readField(p.line, c.cond.field, captures);
  if (c.cond.exists !== null && (value !== undefined) !== c.cond.exists) return false;
  if (value === undefined) return c.inSet === null && c.regex === null;
  if (c.inSet !== null && !c.inSet.has(value)) return false;
  if (c.notInSet !== null && c.notInSet.has(value)) return false;
  const bounded = value.length > FIELD_VALUE_MAX ? value.slice(0, FIELD_VALUE_MAX) : value;
  if (c.regex !== null && !c.regex.test(bounded)) return false;
  if (c.notRegex !== null && c.notRegex.test(bounded)) return false;
  return true;
}
