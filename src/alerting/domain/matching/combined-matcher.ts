import { foldCase } from '../regex/regex-literals.js';
import { type MatchSpec } from '../rules/rule.types.js';
import { AhoCorasick } from './aho-corasick.js';
import { type Captures, CompiledMatch } from './compiled-match.js';
import { type PreparedLine } from './prepared-line.js';

export interface MatchTarget {
  readonly match: MatchSpec;
  readonly except: readonly MatchSpec[];
}

export interface RuleHit {
  /** Index into the targets the matcher was built from. */
  readonly ruleIndex: number;
  readonly captures: Captures;
}

/** Line fields known before the message and structured fields are decoded. */
const HEADER_FIELDS: ReadonlySet<string> = new Set(['source', 'host', 'level']);

/** Regex literals are prefixes-only prefilters, so cutting them keeps the automaton small. */
const REGEX_LITERAL_MAX = 32;
const GEN_RESET = 1 << 30;

/**
 * All rules' line filters behind one Aho–Corasick pass.
 *
 * Each rule contributes trigger literals (its keywords, or the literals every match of its
 * regex must contain); one scan of the message finds which literals occur, and only rules
 * with a trigger present, plus rules that have no usable literal (condition-only rules,
 * indexed by source when they name one), are confirmed with their regex and conditions.
 * Exceptions' keywords and regex literals ride on the same scan, so an exception whose
 * literals are absent costs nothing. Results come back in rule order, exactly as a naive
 * loop over all rules would produce them (see matchNaive, used by the tests).
 */
export class CombinedMatcher {
  private readonly literalIds = new Map<string, number>();
  private readonly literals: string[] = [];
  private readonly rules: CompiledMatch[];
  private readonly exceptions: CompiledMatch[][];
  private readonly triggers: number[][] = [];
  private readonly alwaysGlobal: number[] = [];
  private readonly alwaysBySource = new Map<string, number[]>();
  private readonly ac: AhoCorasick;
  private seen: Int32Array;
  private ruleSeen: Int32Array;
  private gen = 0;
  private readonly found: number[] = [];
  private readonly candidates: number[] = [];
  private readonly oracle = (id: number): boolean => this.seen[id] === this.gen;
  /**
   * Per rule: its filter reads nothing but the line's source, host and level (no regex, no
   * keywords, conditions on those fields only), so it can be decided before the message and
   * the structured fields are decoded.
   */
  private readonly headerOnly: boolean[];

  constructor(targets: readonly MatchTarget[]) {
    const register = (folded: string, cap: number): number => {
      const lit = folded.length > cap ? folded.slice(0, cap) : folded;
      let id = this.literalIds.get(lit);
      if (id === undefined) {
        id = this.literals.length;
        this.literalIds.set(lit, id);
        this.literals.push(lit);
        this.triggers.push([]);
      }
      return id;
    };
    // Keywords must be registered whole (the oracle answers "keyword present"); regex
    // literals only need to be a necessary condition, so a prefix is enough.
    const registry = (folded: string): number => register(folded, Infinity);
    const regexRegistry = (folded: string): number => register(folded, REGEX_LITERAL_MAX);
    this.rules = targets.map((t) => compileWith(t.match, registry, regexRegistry));
    this.exceptions = targets.map((t) =>
      t.except.map((e) => compileWith(e, registry, regexRegistry)),
    );
    this.rules.forEach((rule, index) => {
      if (rule.triggerLiterals !== null) {
        for (const id of rule.triggerLiterals) this.triggers[id]!.push(index);
        return;
      }
      const sources = sourceIndex(rule.spec);
      if (sources === null) this.alwaysGlobal.push(index);
      else {
        for (const s of sources) {
          const list = this.alwaysBySource.get(s) ?? [];
          list.push(index);
          this.alwaysBySource.set(s, list);
        }
      }
    });
    this.headerOnly = this.rules.map(
      (rule) =>
        rule.spec.regex === null &&
        rule.spec.keywords.length === 0 &&
        rule.spec.where.every((c) => HEADER_FIELDS.has(c.field)),
    );
    this.ac = new AhoCorasick(this.literals);
    this.seen = new Int32Array(this.literals.length);
    this.ruleSeen = new Int32Array(targets.length);
  }

  get stats(): { rules: number; literals: number; states: number; unfiltered: number } {
    let bySource = 0;
    for (const l of this.alwaysBySource.values()) bySource += l.length;
    return {
      rules: this.rules.length,
      literals: this.literals.length,
      states: this.ac.stateCount,
      unfiltered: this.alwaysGlobal.length + bySource,
    };
  }

  private nextGen(): number {
    if (++this.gen >= GEN_RESET) {
      this.gen = 1;
      this.seen.fill(0);
      this.ruleSeen.fill(0);
    }
    return this.gen;
  }

  /**
   * Whether a line can match any rule, decided from its source, host and level (`header`: a
   * prepared line whose message and fields are not read) and the bytes [start, end) of its
   * message, before the rest is decoded. False means `match` on the decoded line finds
   * nothing: no rule's literal occurs in the message, and every rule that needs no literal
   * reads only those three fields and rejects them. True: decode the line and `match` it.
   * Null: the message is not ASCII, decode it (the literals are matched on UTF-16 text).
   */
  mayMatchAscii(
    header: PreparedLine,
    message: Uint8Array,
    start: number,
    end: number,
  ): boolean | null {
    const byLiterals = this.literalsMayMatchAscii(message, start, end);
    return byLiterals === false ? this.unfilteredMayMatch(header) : byLiterals;
  }

  /**
   * The message half of mayMatchAscii: true when a rule's trigger literal occurs in the ASCII
   * bytes [start, end), null when they are not ASCII, false when no trigger occurs — then only
   * the rules that need no literal can match (unfilteredMayMatch, when hasUnfiltered).
   */
  literalsMayMatchAscii(message: Uint8Array, start: number, end: number): boolean | null {
    if (this.literals.length === 0) return false;
    const gen = this.nextGen();
    const found = this.found;
    found.length = 0;
    if (!this.ac.scanAscii(message, start, end, this.seen, gen, found)) return null;
    for (const id of found) if (this.triggers[id]!.length > 0) return true;
    return false;
  }

  /** Whether some rule needs no literal (unfilteredMayMatch can then say true). */
  get hasUnfiltered(): boolean {
    return this.alwaysGlobal.length > 0 || this.alwaysBySource.size > 0;
  }

  /**
   * The header half of mayMatchAscii: whether a rule that needs no literal can match a line
   * with `header`'s source, host and level. Depends on those three fields only.
   */
  unfilteredMayMatch(header: PreparedLine): boolean {
    for (const r of this.alwaysGlobal) if (!this.headerRejects(r, header)) return true;
    const bySource = this.alwaysBySource.get(header.line.source);
    if (bySource) for (const r of bySource) if (!this.headerRejects(r, header)) return true;
    return false;
  }

  /** Rule `r` reads only source, host and level, and they do not pass its filter. */
  private headerRejects(r: number, header: PreparedLine): boolean {
    return this.headerOnly[r]! && this.rules[r]!.test(header, this.oracle) === null;
  }

  /** Appends the rules matching `p` (and not excepted) to `out`, in rule order. */
  match(p: PreparedLine, out: RuleHit[]): void {
    const gen = this.nextGen();
    const found = this.found;
    const candidates = this.candidates;
    found.length = 0;
    candidates.length = 0;
    if (this.literals.length > 0) this.ac.scan(p.message, this.seen, gen, found);
    for (const id of found) {
      for (const r of this.triggers[id]!) {
        if (this.ruleSeen[r] !== gen) {
          this.ruleSeen[r] = gen;
          candidates.push(r);
        }
      }
    }
    for (const r of this.alwaysGlobal) candidates.push(r);
    const bySource = this.alwaysBySource.get(p.line.source);
    if (bySource) for (const r of bySource) candidates.push(r);
    if (candidates.length > 1) candidates.sort((a, b) => a - b);
    for (const r of candidates) {
      const captures = this.rules[r]!.test(p, this.oracle);
      if (captures === null) continue;
      if (this.excepted(r, p)) continue;
      out.push({ ruleIndex: r, captures });
    }
  }

  /** Reference implementation: every rule, no prefilter. Used to test equivalence. */
  matchNaive(p: PreparedLine, out: RuleHit[]): void {
    const folded = foldCase(p.message);
    const oracle = (id: number): boolean => folded.includes(this.literals[id]!);
    this.rules.forEach((rule, r) => {
      const captures = rule.test(p, oracle);
      if (captures === null) return;
      if (this.exceptions[r]!.some((e) => e.test(p, oracle) !== null)) return;
      out.push({ ruleIndex: r, captures });
    });
  }

  private excepted(r: number, p: PreparedLine): boolean {
    for (const e of this.exceptions[r]!) if (e.test(p, this.oracle) !== null) return true;
    return false;
  }
}

function compileWith(
  spec: MatchSpec,
  keywordRegistry: (folded: string) => number,
  regexRegistry: (folded: string) => number,
): CompiledMatch {
  return new CompiledMatch(spec, keywordRegistry, regexRegistry);
}

/** Source values a condition-only rule is restricted to, when it names them. */
function sourceIndex(spec: MatchSpec): readonly string[] | null {
  const cond = spec.where.find((c) => c.field === 'source' && c.in !== null);
  return cond?.in ?? null;
}
