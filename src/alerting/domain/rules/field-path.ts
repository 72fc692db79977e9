import { type LogLine } from '../../../platform/schemas/generated.js';

/**
 * A field a rule can look at: the LogLine's own `source`, `host`, `level`, `message`, or a
 * structured attribute `fields.<name>` (which also holds a rule's named regex captures).
 */
export type FieldPath = 'source' | 'host' | 'level' | 'message' | `fields.${string}`;

const FIELD_PATH_RE = /^(?:source|host|level|message|fields\.[A-Za-z_][\w.-]{0,63})$/;

export function isFieldPath(text: string): text is FieldPath {
  return FIELD_PATH_RE.test(text);
}

/** Value of `path` on the line (captures shadow line fields); undefined when absent. */
export function readField(
  line: LogLine,
  path: FieldPath,
  captures: Readonly<Record<string, string>> | null,
): string | undefined {
  switch (path) {
    case 'source':
      return line.source;
    case 'host':
      return line.host ?? undefined;
    case 'level':
      return line.level ?? undefined;
    case 'message':
      return line.message;
    default: {
      const name = path.slice(7);
      return captures?.[name] ?? line.fields?.[name];
    }
  }
}

/** Alertmanager-compatible label name for a field: `fields.user` -> `user`. */
export function labelNameFor(path: FieldPath): string {
  const base = path.startsWith('fields.') ? path.slice(7) : path;
  const clean = base.replace(/[^A-Za-z0-9_]/g, '_');
  return /^[A-Za-z_]/.test(clean) ? clean : `_${clean}`;
}
