/** Public API of the alerting domain (pure): what the service layer wires to Kafka/DB/HTTP. */
export { AlertEngine, ENGINE_DEFAULTS } from './alert-engine.js';
export type { EngineOptions, EngineOutput, EngineSnapshot, EngineStats } from './alert-engine.js';
export { alertState, buildLabels } from './lifecycle/alert-lifecycle.js';
export type { AlertRecord, AlertState, GroupValues } from './lifecycle/alert-lifecycle.js';
export {
  compileSilence,
  silencedBy,
  silenceState,
  validateSilence,
  SILENCE_MAX_MS,
} from './lifecycle/silences.js';
export type { CompiledSilence, Silence, SilenceState } from './lifecycle/silences.js';
export type { LabelMatcher, MatchOp, MatcherError } from '../../platform/labels/label-matchers.js';
export { alertFingerprint, nameUuid } from './lifecycle/ids.js';
export { MAX_LINE_LENGTH, prepareLine } from './matching/prepared-line.js';
export { CombinedMatcher } from './matching/combined-matcher.js';
export { PrematchBuilder, prematchLines } from './matching/prematch.js';
export type { LineHits, PrematchedChunk } from './matching/prematch.js';
export { compileSafeRegex } from './regex/regex-safety.js';
export type { RegexIssue, RegexIssueCode } from './regex/regex-safety.js';
export {
  compileRuleSet,
  compileRuleSpecs,
  loadRulesYaml,
  parseRulesYaml,
  reloadRules,
  ruleRevision,
} from './rules/rule-loader.js';
export type { CompiledRule, CompiledRuleSet, ReloadOutcome } from './rules/rule-loader.js';
export {
  validateRule,
  validateRuleFile,
  RULE_DEFAULTS,
  RULE_LIMITS,
} from './rules/rule-validator.js';
export type {
  MatchSpec,
  RuleError,
  RuleParams,
  RuleSpec,
  RuleType,
  Severity,
} from './rules/rule.types.js';
export { LoghubParser, parseLoghubText, LOGHUB_FILES, LOGHUB_SYSTEMS } from './loghub.js';
export type { LoghubSystem } from './loghub.js';
