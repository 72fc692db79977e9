import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  compileRuleSet,
  type CompiledRuleSet,
  parseRulesYaml,
  type RuleError,
} from '../domain/index.js';

/**
 * Rule documents as the service handles them: the rule file shape (`{ version, defaults,
 * rules: [...] }`, YAML on disk, JSON or YAML text through the API), validated and compiled
 * by the domain before anything runs them.
 */
export type RuleDocument = Record<string, unknown> & { rules?: unknown };

export type DocumentResult =
  | { readonly ok: true; readonly document: RuleDocument; readonly compiled: CompiledRuleSet }
  | { readonly ok: false; readonly errors: readonly RuleError[] };

export function fileError(field: string, code: string, message: string): RuleError {
  return { ruleId: null, index: null, field, code, message };
}

/** Validates and compiles a parsed document; never throws. */
export function compileDocument(input: unknown): DocumentResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return {
      ok: false,
      errors: [fileError('', 'RULES.TYPE', 'a rule document is a map with a rules list')],
    };
  }
  const compiled = compileRuleSet(input);
  return compiled.ok
    ? { ok: true, document: input as RuleDocument, compiled: compiled.value }
    : { ok: false, errors: compiled.errors };
}

/** Parses YAML (or JSON, which is YAML) text, then validates and compiles it. */
export function compileDocumentText(text: string): DocumentResult {
  const parsed = parseRulesYaml(text);
  return parsed.ok ? compileDocument(parsed.value) : { ok: false, errors: parsed.errors };
}

export function contentHash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export interface RuleFileRead {
  readonly text: string;
  readonly hash: string;
}

/** The rule file's text and hash, or null when it does not exist. */
export async function readRuleFile(path: string): Promise<RuleFileRead | null> {
  try {
    const text = await readFile(path, 'utf8');
    return { text, hash: contentHash(text) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The document's rules list (raw, file format), or [] when it has none. */
export function rawRules(doc: RuleDocument): Array<Record<string, unknown>> {
  return Array.isArray(doc.rules) ? (doc.rules as Array<Record<string, unknown>>) : [];
}

/** A copy of `doc` with the rule of `rule.id` replaced (or appended when new). */
export function withRule(doc: RuleDocument, rule: Record<string, unknown>): RuleDocument {
  const rules = rawRules(doc);
  const i = rules.findIndex((r) => r['id'] === rule['id']);
  const next = i < 0 ? [...rules, rule] : rules.map((r, j) => (j === i ? rule : r));
  return { ...structuredClone(doc), rules: next };
}

/** A copy of `doc` without rule `id`, or null when there is no such rule. */
export function withoutRule(doc: RuleDocument, id: string): RuleDocument | null {
  const rules = rawRules(doc);
  if (!rules.some((r) => r['id'] === id)) return null;
  return { ...structuredClone(doc), rules: rules.filter((r) => r['id'] !== id) };
}
