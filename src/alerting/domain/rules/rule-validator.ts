import { compileSafeRegex } from '../regex/regex-safety.js';
import { parseDuration } from './duration.js';
import { type FieldPath, isFieldPath, labelNameFor } from './field-path.js';
import { LEVEL_NAMES } from './log-level.js';
import {
  type FieldCondition,
  type MatchSpec,
  RULE_TYPES,
  type RuleError,
  type RuleParams,
  type RuleSpec,
  type RuleType,
  SEVERITIES,
  type Severity,
} from './rule.types.js';
import { TEMPLATE_VARIABLES, templateVariables } from './template.js';

/**
 * Validates raw rule input (parsed YAML, or JSON from the HTTP API) into RuleSpecs. Every
 * problem is collected, each naming the rule id, the field path and the reason, so a user
 * fixes a file in one pass. Unknown keys are errors: a misspelt `treshold` must not
 * silently fall back to a default.
 */
export const RULE_LIMITS = {
  rules: 1000,
  keywords: 100,
  keywordLength: 200,
  groupBy: 5,
  termFields: 3,
  labels: 20,
  labelValueLength: 256,
  annotationValueLength: 2048,
  templateLength: 2048,
  threshold: 10_000,
  maxGroups: 100_000,
  maxTerms: 1_000_000,
  knownTerms: 10_000,
  exceptions: 50,
  conditionValues: 100,
} as const;

export const RULE_DEFAULTS = {
  severity: 'warning' as Severity,
  realertMs: 5 * 60_000,
  maxGroups: 10_000,
  maxTerms: 10_000,
  resolveAfterMs: {
    pattern: 5 * 60_000,
    new_term: 5 * 60_000,
    frequency: 0,
    spike: 0,
    flatline: 0,
  } satisfies Record<RuleType, number>,
} as const;

const RULE_ID_RE = /^[a-z0-9][a-z0-9_.-]{0,63}$/;
const LABEL_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const RESERVED_LABELS = new Set(['alertname', 'severity']);
const RESERVED_ANNOTATIONS = new Set(['summary', 'description']);

const COMMON_KEYS = [
  'id',
  'name',
  'type',
  'enabled',
  'severity',
  'description',
  'summary',
  'labels',
  'annotations',
  'group_by',
  'match',
  'except',
  'realert',
  'resolve_after',
  'max_groups',
];
const TYPE_KEYS: Record<RuleType, string[]> = {
  pattern: [],
  frequency: ['threshold', 'timeframe'],
  spike: ['timeframe', 'spike_ratio', 'spike_direction', 'min_count', 'min_ref_count'],
  flatline: ['timeframe', 'threshold', 'forget_after'],
  new_term: ['term_fields', 'max_terms', 'warmup', 'known_terms'],
};
const MATCH_KEYS = [
  'regex',
  'ignore_case',
  'keywords',
  'keywords_mode',
  'case_sensitive',
  'where',
  'level_at_least',
];
const CONDITION_KEYS = ['in', 'not_in', 'regex', 'not_regex', 'exists'];
const DEFAULTS_KEYS = ['severity', 'realert', 'resolve_after', 'enabled', 'labels', 'max_groups'];

type Raw = Record<string, unknown>;

/** Error sink bound to one rule. */
class Issues {
  constructor(
    private readonly out: RuleError[],
    private readonly ruleId: string | null,
    private readonly index: number | null,
  ) {}

  add(field: string, code: string, message: string): void {
    this.out.push({ ruleId: this.ruleId, index: this.index, field, code, message });
  }

  get count(): number {
    return this.out.length;
  }
}

function isRecord(x: unknown): x is Raw {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function checkKeys(obj: Raw, allowed: readonly string[], path: string, issues: Issues): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      const where = path ? `${path}.${key}` : key;
      issues.add(
        where,
        'RULE.UNKNOWN_FIELD',
        `unknown field "${key}"; allowed: ${allowed.join(', ')}`,
      );
    }
  }
}

function str(
  obj: Raw,
  key: string,
  path: string,
  issues: Issues,
  opts: { max?: number } = {},
): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    issues.add(path, 'RULE.TYPE', 'must be a string');
    return undefined;
  }
  if (opts.max !== undefined && v.length > opts.max) {
    issues.add(path, 'RULE.TOO_LONG', `must be at most ${opts.max} characters`);
    return undefined;
  }
  return v;
}

function bool(obj: Raw, key: string, path: string, issues: Issues): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') {
    issues.add(path, 'RULE.TYPE', 'must be true or false');
    return undefined;
  }
  return v;
}

function int(
  obj: Raw,
  key: string,
  path: string,
  issues: Issues,
  min: number,
  max: number,
): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    issues.add(path, 'RULE.INVALID_VALUE', `must be an integer from ${min} to ${max}`);
    return undefined;
  }
  return v;
}

function duration(obj: Raw, key: string, path: string, issues: Issues): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const ms = typeof v === 'string' ? parseDuration(v) : null;
  if (ms === null) {
    issues.add(path, 'RULE.INVALID_DURATION', 'must be a duration such as 30s, 5m, 1h30m or 2d');
    return undefined;
  }
  return ms;
}

function stringList(
  obj: Raw,
  key: string,
  path: string,
  issues: Issues,
  max: number,
  itemMax = 1024,
): string[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || !list.every((x) => typeof x === 'string')) {
    issues.add(path, 'RULE.TYPE', 'must be a string or a list of strings');
    return undefined;
  }
  if (list.length > max) {
    issues.add(path, 'RULE.TOO_MANY', `at most ${max} entries`);
    return undefined;
  }
  const bad = list.findIndex((x) => x.length > itemMax);
  if (bad >= 0) {
    issues.add(`${path}[${bad}]`, 'RULE.TOO_LONG', `must be at most ${itemMax} characters`);
    return undefined;
  }
  return list;
}

function fieldPaths(
  obj: Raw,
  key: string,
  path: string,
  issues: Issues,
  max: number,
): FieldPath[] | undefined {
  const list = stringList(obj, key, path, issues, max);
  if (!list) return undefined;
  const out: FieldPath[] = [];
  list.forEach((f, i) => {
    if (!isFieldPath(f)) {
      issues.add(
        `${path}[${i}]`,
        'RULE.INVALID_FIELD_PATH',
        `"${f}" is not a field: use source, host, level, message or fields.<name>`,
      );
    } else if (out.includes(f)) {
      issues.add(`${path}[${i}]`, 'RULE.DUPLICATE', `"${f}" is listed twice`);
    } else out.push(f);
  });
  return out;
}

function stringMap(
  obj: Raw,
  key: string,
  path: string,
  issues: Issues,
  valueMax: number,
): Record<string, string> | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) {
    issues.add(path, 'RULE.TYPE', 'must be a map of names to strings');
    return undefined;
  }
  const out: Record<string, string> = {};
  const entries = Object.entries(v);
  if (entries.length > RULE_LIMITS.labels)
    issues.add(path, 'RULE.TOO_MANY', `at most ${RULE_LIMITS.labels} entries`);
  for (const [name, value] of entries) {
    if (!LABEL_NAME_RE.test(name)) {
      issues.add(`${path}.${name}`, 'RULE.INVALID_NAME', 'names must match [A-Za-z_][A-Za-z0-9_]*');
      continue;
    }
    const text = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
    if (typeof text !== 'string') {
      issues.add(`${path}.${name}`, 'RULE.TYPE', 'must be a string');
      continue;
    }
    if (text.length > valueMax) {
      issues.add(`${path}.${name}`, 'RULE.TOO_LONG', `must be at most ${valueMax} characters`);
      continue;
    }
    out[name] = text;
  }
  return out;
}

function regexField(
  source: string | undefined,
  ignoreCase: boolean,
  path: string,
  issues: Issues,
): string | null {
  if (source === undefined) return null;
  const res = compileSafeRegex(source, ignoreCase ? 'i' : '');
  if (!res.ok) {
    for (const issue of res.issues) issues.add(path, issue.code, issue.message);
    return null;
  }
  return source;
}

function parseCondition(
  field: string,
  raw: unknown,
  path: string,
  issues: Issues,
): FieldCondition | null {
  if (!isFieldPath(field)) {
    issues.add(
      path,
      'RULE.INVALID_FIELD_PATH',
      `"${field}" is not a field: use source, host, level, message or fields.<name>`,
    );
    return null;
  }
  const upper = (xs: string[] | undefined): string[] | null =>
    xs === undefined ? null : field === 'level' ? xs.map((x) => x.toUpperCase()) : xs;
  if (
    typeof raw === 'string' ||
    typeof raw === 'number' ||
    typeof raw === 'boolean' ||
    Array.isArray(raw)
  ) {
    const list = stringList(
      { v: typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : raw },
      'v',
      path,
      issues,
      RULE_LIMITS.conditionValues,
    );
    if (!list) return null;
    return { field, in: upper(list), notIn: null, regex: null, notRegex: null, exists: null };
  }
  if (!isRecord(raw)) {
    issues.add(
      path,
      'RULE.TYPE',
      'must be a value, a list of values, or {in, not_in, regex, not_regex, exists}',
    );
    return null;
  }
  checkKeys(raw, CONDITION_KEYS, path, issues);
  const cond: FieldCondition = {
    field,
    in: upper(stringList(raw, 'in', `${path}.in`, issues, RULE_LIMITS.conditionValues)),
    notIn: upper(stringList(raw, 'not_in', `${path}.not_in`, issues, RULE_LIMITS.conditionValues)),
    regex: regexField(str(raw, 'regex', `${path}.regex`, issues), false, `${path}.regex`, issues),
    notRegex: regexField(
      str(raw, 'not_regex', `${path}.not_regex`, issues),
      false,
      `${path}.not_regex`,
      issues,
    ),
    exists: bool(raw, 'exists', `${path}.exists`, issues) ?? null,
  };
  if (!CONDITION_KEYS.some((k) => raw[k] !== undefined && raw[k] !== null)) {
    issues.add(path, 'RULE.EMPTY_CONDITION', 'condition has nothing to check');
    return null;
  }
  return cond;
}

const EMPTY_MATCH: MatchSpec = {
  regex: null,
  ignoreCase: false,
  keywords: [],
  keywordsMode: 'any',
  keywordsCaseSensitive: false,
  where: [],
  levelAtLeast: null,
};

export function isEmptyMatch(m: MatchSpec): boolean {
  return (
    m.regex === null && m.keywords.length === 0 && m.where.length === 0 && m.levelAtLeast === null
  );
}

/** Whether a raw match block names any filter (valid or not: an invalid one is its own error). */
function namesAFilter(raw: unknown): boolean {
  if (!isRecord(raw)) return raw !== undefined && raw !== null;
  return ['regex', 'keywords', 'where', 'level_at_least'].some(
    (k) => raw[k] !== undefined && raw[k] !== null,
  );
}

function parseMatch(raw: unknown, path: string, issues: Issues): MatchSpec {
  if (raw === undefined || raw === null) return EMPTY_MATCH;
  if (!isRecord(raw)) {
    issues.add(path, 'RULE.TYPE', 'must be a map with regex, keywords, where or level_at_least');
    return EMPTY_MATCH;
  }
  checkKeys(raw, MATCH_KEYS, path, issues);
  const ignoreCase = bool(raw, 'ignore_case', `${path}.ignore_case`, issues) ?? false;
  const regex = regexField(
    str(raw, 'regex', `${path}.regex`, issues),
    ignoreCase,
    `${path}.regex`,
    issues,
  );
  const keywords =
    stringList(
      raw,
      'keywords',
      `${path}.keywords`,
      issues,
      RULE_LIMITS.keywords,
      RULE_LIMITS.keywordLength,
    ) ?? [];
  keywords.forEach((k, i) => {
    if (k.trim() === '')
      issues.add(`${path}.keywords[${i}]`, 'RULE.INVALID_VALUE', 'keyword is blank');
  });
  const modeRaw = str(raw, 'keywords_mode', `${path}.keywords_mode`, issues);
  if (modeRaw !== undefined && modeRaw !== 'any' && modeRaw !== 'all') {
    issues.add(`${path}.keywords_mode`, 'RULE.INVALID_VALUE', 'must be any or all');
  }
  const where: FieldCondition[] = [];
  const whereRaw = raw['where'];
  if (whereRaw !== undefined && whereRaw !== null) {
    if (!isRecord(whereRaw))
      issues.add(`${path}.where`, 'RULE.TYPE', 'must be a map of field to condition');
    else {
      for (const [field, cond] of Object.entries(whereRaw)) {
        const c = parseCondition(field, cond, `${path}.where.${field}`, issues);
        if (c) where.push(c);
      }
    }
  }
  const level = str(raw, 'level_at_least', `${path}.level_at_least`, issues);
  if (level !== undefined && !LEVEL_NAMES.includes(level.toUpperCase())) {
    issues.add(`${path}.level_at_least`, 'RULE.INVALID_VALUE', `unknown level "${level}"`);
  }
  return {
    regex,
    ignoreCase,
    keywords,
    keywordsMode: modeRaw === 'all' ? 'all' : 'any',
    keywordsCaseSensitive: bool(raw, 'case_sensitive', `${path}.case_sensitive`, issues) ?? false,
    where,
    levelAtLeast: level === undefined ? null : level.toUpperCase(),
  };
}

interface Defaults {
  severity?: Severity;
  realertMs?: number;
  resolveAfterMs?: number;
  enabled?: boolean;
  labels?: Record<string, string>;
  maxGroups?: number;
}

export function parseDefaults(raw: unknown, out: RuleError[]): Defaults {
  if (raw === undefined || raw === null) return {};
  const issues = new Issues(out, null, null);
  if (!isRecord(raw)) {
    issues.add('defaults', 'RULE.TYPE', 'must be a map');
    return {};
  }
  checkKeys(raw, DEFAULTS_KEYS, 'defaults', issues);
  const sev = str(raw, 'severity', 'defaults.severity', issues);
  if (sev !== undefined && !SEVERITIES.includes(sev as Severity)) {
    issues.add(
      'defaults.severity',
      'RULE.INVALID_VALUE',
      `must be one of ${SEVERITIES.join(', ')}`,
    );
  }
  return {
    severity: SEVERITIES.includes(sev as Severity) ? (sev as Severity) : undefined,
    realertMs: duration(raw, 'realert', 'defaults.realert', issues),
    resolveAfterMs: duration(raw, 'resolve_after', 'defaults.resolve_after', issues),
    enabled: bool(raw, 'enabled', 'defaults.enabled', issues),
    labels: stringMap(raw, 'labels', 'defaults.labels', issues, RULE_LIMITS.labelValueLength),
    maxGroups: int(raw, 'max_groups', 'defaults.max_groups', issues, 1, RULE_LIMITS.maxGroups),
  };
}

/** Validates one rule; pushes errors to `out` and returns null when there were any. */
export function validateRule(
  raw: unknown,
  index: number | null,
  out: RuleError[],
  defaults: Defaults = {},
): RuleSpec | null {
  const before = out.length;
  if (!isRecord(raw)) {
    new Issues(out, null, index).add(
      index === null ? '' : `rules[${index}]`,
      'RULE.TYPE',
      'a rule must be a map',
    );
    return null;
  }
  const rawId = raw['id'];
  const id = typeof rawId === 'string' && RULE_ID_RE.test(rawId) ? rawId : null;
  const issues = new Issues(out, id ?? (typeof rawId === 'string' ? rawId : null), index);
  if (rawId === undefined) issues.add('id', 'RULE.REQUIRED', 'id is required');
  else if (id === null)
    issues.add(
      'id',
      'RULE.INVALID_ID',
      'id must be 1-64 of a-z 0-9 _ . - starting with a letter or digit',
    );

  const typeRaw = raw['type'];
  const type = RULE_TYPES.includes(typeRaw as RuleType) ? (typeRaw as RuleType) : null;
  if (typeRaw === undefined)
    issues.add('type', 'RULE.REQUIRED', `type is required: ${RULE_TYPES.join(', ')}`);
  else if (type === null)
    issues.add('type', 'RULE.INVALID_VALUE', `type must be one of ${RULE_TYPES.join(', ')}`);
  checkKeys(
    raw,
    type
      ? [...COMMON_KEYS, ...TYPE_KEYS[type]]
      : [...COMMON_KEYS, ...Object.values(TYPE_KEYS).flat()],
    '',
    issues,
  );

  const name = str(raw, 'name', 'name', issues, { max: 200 }) ?? id ?? '';
  const sevRaw = str(raw, 'severity', 'severity', issues);
  if (sevRaw !== undefined && !SEVERITIES.includes(sevRaw as Severity)) {
    issues.add('severity', 'RULE.INVALID_VALUE', `must be one of ${SEVERITIES.join(', ')}`);
  }
  const severity = (
    SEVERITIES.includes(sevRaw as Severity) ? sevRaw : (defaults.severity ?? RULE_DEFAULTS.severity)
  ) as Severity;
  const labels = {
    ...(defaults.labels ?? {}),
    ...(stringMap(raw, 'labels', 'labels', issues, RULE_LIMITS.labelValueLength) ?? {}),
  };
  for (const l of Object.keys(labels)) {
    if (RESERVED_LABELS.has(l))
      issues.add(`labels.${l}`, 'RULE.RESERVED', `label "${l}" is set by the engine`);
  }
  const annotations =
    stringMap(raw, 'annotations', 'annotations', issues, RULE_LIMITS.annotationValueLength) ?? {};
  for (const a of Object.keys(annotations)) {
    if (RESERVED_ANNOTATIONS.has(a))
      issues.add(`annotations.${a}`, 'RULE.RESERVED', `use the rule's "${a}" field instead`);
  }
  const groupBy = fieldPaths(raw, 'group_by', 'group_by', issues, RULE_LIMITS.groupBy) ?? [];
  for (const f of groupBy) {
    const label = labelNameFor(f);
    if (RESERVED_LABELS.has(label) || label in labels) {
      issues.add(
        'group_by',
        'RULE.LABEL_CONFLICT',
        `group field ${f} would overwrite label "${label}"`,
      );
    }
  }
  const match = parseMatch(raw['match'], 'match', issues);
  if (type === 'pattern' && !namesAFilter(raw['match'])) {
    issues.add(
      'match',
      'RULE.MATCHES_EVERYTHING',
      'a pattern rule needs regex, keywords, where or level_at_least',
    );
  }
  const except: MatchSpec[] = [];
  const exceptRaw = raw['except'];
  if (exceptRaw !== undefined && exceptRaw !== null) {
    if (!Array.isArray(exceptRaw))
      issues.add('except', 'RULE.TYPE', 'must be a list of match blocks');
    else if (exceptRaw.length > RULE_LIMITS.exceptions)
      issues.add('except', 'RULE.TOO_MANY', `at most ${RULE_LIMITS.exceptions} exceptions`);
    else {
      exceptRaw.forEach((e, i) => {
        const m = parseMatch(e, `except[${i}]`, issues);
        if (!namesAFilter(e))
          issues.add(
            `except[${i}]`,
            'RULE.MATCHES_EVERYTHING',
            'an exception needs regex, keywords, where or level_at_least',
          );
        else if (!isEmptyMatch(m)) except.push(m);
      });
    }
  }
  const realertMs =
    duration(raw, 'realert', 'realert', issues) ?? defaults.realertMs ?? RULE_DEFAULTS.realertMs;
  const resolveAfterMs =
    duration(raw, 'resolve_after', 'resolve_after', issues) ??
    defaults.resolveAfterMs ??
    (type ? RULE_DEFAULTS.resolveAfterMs[type] : 0);
  const maxGroups =
    int(raw, 'max_groups', 'max_groups', issues, 1, RULE_LIMITS.maxGroups) ??
    defaults.maxGroups ??
    RULE_DEFAULTS.maxGroups;
  const params = type ? parseParams(type, raw, issues) : null;

  const description =
    str(raw, 'description', 'description', issues, { max: RULE_LIMITS.templateLength }) ?? null;
  const summary =
    str(raw, 'summary', 'summary', issues, { max: RULE_LIMITS.templateLength }) ?? null;
  for (const [field, template] of [
    ['description', description],
    ['summary', summary],
  ] as const) {
    if (template === null) continue;
    const { names, error } = templateVariables(template);
    if (error) issues.add(field, 'RULE.TEMPLATE', error);
    for (const n of names) {
      const known =
        (TEMPLATE_VARIABLES as readonly string[]).includes(n) ||
        /^labels\.[A-Za-z_]\w*$/.test(n) ||
        (groupBy as readonly string[]).includes(n);
      if (!known) {
        issues.add(
          field,
          'RULE.TEMPLATE',
          `unknown variable {{ ${n} }}; use ${TEMPLATE_VARIABLES.join(', ')}, labels.<name> or a group_by field`,
        );
      }
    }
  }
  if (out.length > before || id === null || type === null || params === null) return null;
  return {
    id,
    name,
    enabled: bool(raw, 'enabled', 'enabled', issues) ?? defaults.enabled ?? true,
    severity,
    description,
    summary,
    labels,
    annotations,
    groupBy,
    match,
    except,
    realertMs,
    resolveAfterMs,
    maxGroups,
    params,
  };
}

function required<T>(
  value: T | undefined,
  field: string,
  issues: Issues,
  what: string,
): T | undefined {
  if (value === undefined) issues.add(field, 'RULE.REQUIRED', `${field} is required (${what})`);
  return value;
}

function parseParams(type: RuleType, raw: Raw, issues: Issues): RuleParams | null {
  const start = issues.count;
  const n = (before: number): boolean => before === issues.count;
  switch (type) {
    case 'pattern':
      return { type };
    case 'frequency': {
      const threshold = required(
        int(raw, 'threshold', 'threshold', issues, 1, RULE_LIMITS.threshold),
        'threshold',
        issues,
        'matches needed',
      );
      const timeframeMs = required(
        positiveDuration(raw, 'timeframe', issues),
        'timeframe',
        issues,
        'e.g. 5m',
      );
      if (threshold === undefined || timeframeMs === undefined || !n(start)) return null;
      return { type, threshold, timeframeMs };
    }
    case 'spike': {
      const timeframeMs = required(
        positiveDuration(raw, 'timeframe', issues),
        'timeframe',
        issues,
        'e.g. 10m',
      );
      const ratioRaw = raw['spike_ratio'];
      let ratio: number | undefined;
      if (ratioRaw === undefined)
        issues.add('spike_ratio', 'RULE.REQUIRED', 'spike_ratio is required (e.g. 3)');
      else if (typeof ratioRaw !== 'number' || !(ratioRaw > 1) || ratioRaw > 1000) {
        issues.add(
          'spike_ratio',
          'RULE.INVALID_VALUE',
          'must be a number above 1 and at most 1000',
        );
      } else ratio = ratioRaw;
      const dir = str(raw, 'spike_direction', 'spike_direction', issues) ?? 'up';
      if (dir !== 'up' && dir !== 'down' && dir !== 'both') {
        issues.add('spike_direction', 'RULE.INVALID_VALUE', 'must be up, down or both');
      }
      const minCount = int(raw, 'min_count', 'min_count', issues, 1, 1_000_000_000) ?? 1;
      const minRefCount = int(raw, 'min_ref_count', 'min_ref_count', issues, 0, 1_000_000_000) ?? 0;
      if (timeframeMs === undefined || ratio === undefined || !n(start)) return null;
      return {
        type,
        timeframeMs,
        ratio,
        direction: dir as 'up' | 'down' | 'both',
        minCount,
        minRefCount,
      };
    }
    case 'flatline': {
      const timeframeMs = required(
        positiveDuration(raw, 'timeframe', issues),
        'timeframe',
        issues,
        'e.g. 10m',
      );
      const threshold = int(raw, 'threshold', 'threshold', issues, 1, RULE_LIMITS.threshold) ?? 1;
      const forgetAfterMs = duration(raw, 'forget_after', 'forget_after', issues) ?? null;
      if (forgetAfterMs !== null && timeframeMs !== undefined && forgetAfterMs <= timeframeMs) {
        issues.add('forget_after', 'RULE.INVALID_VALUE', 'must be longer than timeframe');
      }
      if (timeframeMs === undefined || !n(start)) return null;
      return { type, timeframeMs, threshold, forgetAfterMs };
    }
    case 'new_term': {
      const termFields = required(
        fieldPaths(raw, 'term_fields', 'term_fields', issues, RULE_LIMITS.termFields),
        'term_fields',
        issues,
        'e.g. [fields.user]',
      );
      if (termFields !== undefined && termFields.length === 0)
        issues.add('term_fields', 'RULE.REQUIRED', 'list at least one field');
      const maxTerms =
        int(raw, 'max_terms', 'max_terms', issues, 1, RULE_LIMITS.maxTerms) ??
        RULE_DEFAULTS.maxTerms;
      const warmupMs = duration(raw, 'warmup', 'warmup', issues) ?? 0;
      const knownTerms =
        stringList(raw, 'known_terms', 'known_terms', issues, RULE_LIMITS.knownTerms) ?? [];
      if (termFields === undefined || !n(start)) return null;
      return { type, termFields, maxTerms, warmupMs, knownTerms };
    }
  }
}

function positiveDuration(raw: Raw, key: string, issues: Issues): number | undefined {
  const ms = duration(raw, key, key, issues);
  if (ms !== undefined && ms <= 0) {
    issues.add(key, 'RULE.INVALID_VALUE', 'must be longer than 0');
    return undefined;
  }
  return ms;
}

/** Validates a whole rule file (`{ version?, defaults?, rules: [...] }`). */
export function validateRuleFile(raw: unknown): { specs: RuleSpec[]; errors: RuleError[] } {
  const errors: RuleError[] = [];
  const file = new Issues(errors, null, null);
  if (!isRecord(raw)) {
    file.add('', 'RULE.TYPE', 'a rule file must be a map with a "rules" list');
    return { specs: [], errors };
  }
  checkKeys(raw, ['version', 'defaults', 'rules'], '', file);
  if (raw['version'] !== undefined && raw['version'] !== 1)
    file.add('version', 'RULE.INVALID_VALUE', 'only version 1 is supported');
  const defaults = parseDefaults(raw['defaults'], errors);
  const rules = raw['rules'];
  if (!Array.isArray(rules)) {
    file.add('rules', rules === undefined ? 'RULE.REQUIRED' : 'RULE.TYPE', 'rules must be a list');
    return { specs: [], errors };
  }
  if (rules.length > RULE_LIMITS.rules) {
    file.add('rules', 'RULE.TOO_MANY', `at most ${RULE_LIMITS.rules} rules`);
    return { specs: [], errors };
  }
  const specs: RuleSpec[] = [];
  const seen = new Map<string, number>();
  rules.forEach((r, i) => {
    const spec = validateRule(r, i, errors, defaults);
    const id = isRecord(r) && typeof r['id'] === 'string' ? r['id'] : null;
    if (id !== null) {
      const first = seen.get(id);
      if (first !== undefined) {
        errors.push({
          ruleId: id,
          index: i,
          field: 'id',
          code: 'RULE.DUPLICATE_ID',
          message: `id "${id}" is already used by rules[${first}]`,
        });
      } else seen.set(id, i);
    }
    if (spec) specs.push(spec);
  });
  return { specs, errors };
}
