import {
  errorSchemaWith,
  type ErrorItem as PlatformErrorItem,
  unavailableOnFailure,
} from '../../platform/http/http-errors.js';

export {
  httpError,
  principalName,
  type PrincipalRequest,
} from '../../platform/http/http-errors.js';

/** Rule errors name the rule (null for file-level problems). */
export interface ErrorItem extends PlatformErrorItem {
  readonly ruleId?: string | null;
  readonly index?: number | null;
}

export const errorSchema = errorSchemaWith({ ruleId: { type: 'string', nullable: true } });

/** Query values may come as a string, a comma list, or repeated keys. */
export function listParam(v: unknown): string[] {
  if (v === undefined || v === null || v === '') return [];
  const items = Array.isArray(v) ? v : [v];
  return items
    .flatMap((x) => String(x).split(','))
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
}

/** Wraps engine-unavailable errors (commit failed, engine restoring, fenced) as 503. */
export function engineCall<T>(fn: () => Promise<T>): Promise<T> {
  return unavailableOnFailure(
    'ALERTING.UNAVAILABLE',
    'the alert engine could not commit the change',
    fn,
  );
}
