import { type FieldPath } from './field-path.js';

/**
 * Validated, normalised rules. Everything here is plain serialisable data: the service can
 * store it, return it from the HTTP API and rebuild the compiled matcher from it.
 *
 * The rule file format (YAML or the same shape as JSON) is documented in
 * config/alert-rules.default.yaml; field names there are snake_case, here camelCase.
 */
export const SEVERITIES = ['critical', 'high', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const RULE_TYPES = ['pattern', 'frequency', 'spike', 'flatline', 'new_term'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

/** Severity order, higher is worse. */
export function severityRank(severity: string): number {
  const i = SEVERITIES.indexOf(severity as Severity);
  return i < 0 ? -1 : SEVERITIES.length - i;
}

/** A condition on one field. All present parts must hold. */
export interface FieldCondition {
  readonly field: FieldPath;
  /** Value must be one of these (level: compared case-insensitively). */
  readonly in: readonly string[] | null;
  readonly notIn: readonly string[] | null;
  /** Regex the value must match (unanchored, safety-checked). */
  readonly regex: string | null;
  readonly notRegex: string | null;
  /** true: field must be present; false: must be absent. */
  readonly exists: boolean | null;
}

/** Which lines a rule looks at; also the shape of each exception. */
export interface MatchSpec {
  /** Regex on the message; named groups become `fields.<name>` for this rule. */
  readonly regex: string | null;
  readonly ignoreCase: boolean;
  /** Literal substrings of the message. */
  readonly keywords: readonly string[];
  readonly keywordsMode: 'any' | 'all';
  /** Keywords are case-insensitive unless this is set. */
  readonly keywordsCaseSensitive: boolean;
  readonly where: readonly FieldCondition[];
  /** Minimum level (see log-level.ts). */
  readonly levelAtLeast: string | null;
}

export type RuleParams =
  | { readonly type: 'pattern' }
  | {
      readonly type: 'frequency';
      /** Alert when at least `threshold` matches fall within `timeframeMs` of each other. */
      readonly threshold: number;
      readonly timeframeMs: number;
    }
  | {
      readonly type: 'spike';
      /** Current window vs the window before it, each `timeframeMs` long. */
      readonly timeframeMs: number;
      /** How many times higher (up) or lower (down) the current count must be. */
      readonly ratio: number;
      readonly direction: 'up' | 'down' | 'both';
      /** Up: minimum current count; down: minimum reference count. */
      readonly minCount: number;
      /** Minimum reference count for either direction. */
      readonly minRefCount: number;
    }
  | {
      readonly type: 'flatline';
      /** Alert when fewer than `threshold` matches arrived within the last `timeframeMs`. */
      readonly timeframeMs: number;
      readonly threshold: number;
      /** Stop tracking a group (and resolve its alert) after this long without a line. */
      readonly forgetAfterMs: number | null;
    }
  | {
      readonly type: 'new_term';
      /** Fields whose value combination is the term. */
      readonly termFields: readonly FieldPath[];
      /** Bounded memory: least recently seen terms are forgotten beyond this. */
      readonly maxTerms: number;
      /** Terms seen within this long after the rule first sees a line are learnt silently. */
      readonly warmupMs: number;
      /** Terms considered already known (as `v1` or `v1|v2` for several fields). */
      readonly knownTerms: readonly string[];
    };

export interface RuleSpec {
  readonly id: string;
  readonly name: string;
  readonly enabled: boolean;
  readonly severity: Severity;
  readonly description: string | null;
  readonly summary: string | null;
  readonly labels: Readonly<Record<string, string>>;
  /** Extra static annotations (runbook_url, dashboard, ...). */
  readonly annotations: Readonly<Record<string, string>>;
  readonly groupBy: readonly FieldPath[];
  readonly match: MatchSpec;
  readonly except: readonly MatchSpec[];
  /** Minimum time between FIRING updates of the same alert; 0 = only state changes. */
  readonly realertMs: number;
  /** How long the condition must stay false before the alert resolves. */
  readonly resolveAfterMs: number;
  /** Bound on tracked groups per rule; least recently updated groups are dropped. */
  readonly maxGroups: number;
  readonly params: RuleParams;
}

export interface RuleError {
  /** Rule id when known (null for file-level errors or a rule without a valid id). */
  readonly ruleId: string | null;
  /** Position in the rules list, when the error concerns one rule. */
  readonly index: number | null;
  /** Path of the offending field, e.g. `match.regex`, `except[1].where.host.regex`. */
  readonly field: string;
  /** Stable code: RULE.* or REGEX.* */
  readonly code: string;
  readonly message: string;
}

export type Result<T, E> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errors: readonly E[] };
