/**
 * Summary/description templates: `{{ name }}` placeholders, nothing else (no logic, so a
 * template can neither fail at render time nor run user code). Unknown names are rejected
 * when the rule is loaded.
 */
const PLACEHOLDER_RE = /\{\{\s*([A-Za-z_][\w.-]*)\s*\}\}/g;
const OPEN_RE = /\{\{/g;

export const TEMPLATE_VARIABLES = [
  'rule_id',
  'rule_name',
  'rule_type',
  'severity',
  'group_key',
  'count',
  'first_line',
  'last_line',
  'threshold',
  'timeframe',
  'terms',
  'current_count',
  'reference_count',
] as const;

/** Names used in `template`, or an error message for malformed placeholders. */
export function templateVariables(template: string): { names: string[]; error: string | null } {
  const names = [...template.matchAll(PLACEHOLDER_RE)].map((m) => m[1]!);
  const opened = [...template.matchAll(OPEN_RE)].length;
  const error = opened !== names.length ? 'malformed placeholder: use {{ name }}' : null;
  return { names, error };
}

/** Replaces placeholders; missing values render as an empty string. */
export function renderTemplate(
  template: string,
  values: Readonly<Record<string, string | undefined>>,
): string {
  return template.replace(PLACEHOLDER_RE, (_, name: string) => values[name] ?? '');
}
