import { type LogLine } from '../../../platform/schemas/generated.js';
import { type CompiledRuleSet } from '../rules/rule-loader.js';
import { type RuleHit } from './combined-matcher.js';
import { MAX_LINE_LENGTH, prepareLine } from './prepared-line.js';

/** A line that matched at least one rule, with its hits (rule order). */
export interface LineHits {
  /** Position of the line in its chunk. */
  readonly index: number;
  readonly line: LogLine;
  readonly hits: readonly RuleHit[];
}

/**
 * The stateless half of the engine's work on a chunk of lines: which rules each line matches.
 * It depends on nothing but the rule set and the lines, so it can run anywhere — on another
 * thread, say — and be applied later with `AlertEngine.processPrematched`, which only sees
 * every line's timestamp and the lines that matched. Plain data: survives a structured clone.
 */
export interface PrematchedChunk {
  /** Revision of the rule set the lines were matched against (CompiledRuleSet.revision). */
  readonly revision: string;
  /** Every line's timestamp, in order; NaN where the line has none usable. */
  readonly timestamps: Float64Array;
  /** Lines whose message was cut to the maximum length before matching. */
  readonly truncated: number;
  /** The lines with at least one hit, in order. */
  readonly matched: readonly LineHits[];
}

/** Matches `lines` against `rules` (messages cut to `maxLineLength`, as the engine does). */
export function prematchLines(
  rules: CompiledRuleSet,
  lines: readonly LogLine[],
  maxLineLength: number = MAX_LINE_LENGTH,
): PrematchedChunk {
  const chunk = new PrematchBuilder(rules, lines.length, maxLineLength);
  for (const line of lines) chunk.add(line);
  return chunk.build();
}

/**
 * Builds a PrematchedChunk line by line: `add` matches a line; `addUnmatched` records a line
 * known to match nothing (see CombinedMatcher.mayMatchAscii) by its timestamp alone.
 */
export class PrematchBuilder {
  private readonly timestamps: Float64Array;
  private readonly matched: LineHits[] = [];
  private readonly hits: RuleHit[] = [];
  private truncated = 0;
  private count = 0;

  constructor(
    private readonly rules: CompiledRuleSet,
    capacity: number,
    private readonly maxLineLength: number = MAX_LINE_LENGTH,
  ) {
    this.timestamps = new Float64Array(capacity);
  }

  add(line: LogLine): void {
    const i = this.count++;
    this.timestamps[i] = Number.isFinite(line.timestamp) ? line.timestamp : NaN;
    const p = prepareLine(line, this.maxLineLength);
    if (p.truncated) this.truncated++;
    const hits = this.hits;
    hits.length = 0;
    this.rules.matcher.match(p, hits);
    if (hits.length > 0) this.matched.push({ index: i, line, hits: hits.slice() });
  }

  /** A line that matches no rule and was not truncated. */
  addUnmatched(timestamp: number): void {
    this.timestamps[this.count++] = Number.isFinite(timestamp) ? timestamp : NaN;
  }

  build(): PrematchedChunk {
    return {
      revision: this.rules.revision,
      timestamps:
        this.count === this.timestamps.length
          ? this.timestamps
          : this.timestamps.slice(0, this.count),
      truncated: this.truncated,
      matched: this.matched,
    };
  }
}
