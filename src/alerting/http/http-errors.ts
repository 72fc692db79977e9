import { HttpException } from '@nestjs/common';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  409: 'Conflict',
  503: 'Service Unavailable',
};

export interface ErrorItem {
  readonly field: string;
  readonly code: string;
  readonly message: string;
  /** Rule errors name the rule (null for file-level problems). */
  readonly ruleId?: string | null;
  readonly index?: number | null;
}

/** `{ statusCode, error, code, message, errors? }`, the platform's error body. */
export function httpError(
  status: number,
  code: string,
  message: string,
  errors?: readonly ErrorItem[],
): HttpException {
  return new HttpException(
    {
      statusCode: status,
      error: REASONS[status] ?? 'Error',
      code,
      message,
      ...(errors && errors.length > 0 ? { errors } : {}),
    },
    status,
  );
}

/** The caller as recorded on changes (API key name or JWT subject). */
export function principalName(req: {
  principal?: { id: string; apiKey?: { name: string } };
}): string {
  const p = req.principal;
  if (!p) return 'unknown';
  return p.apiKey ? `api-key:${p.apiKey.name}` : `jwt:${p.id}`;
}

export const errorSchema = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    code: { type: 'string' },
    message: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          ruleId: { type: 'string', nullable: true },
          field: { type: 'string' },
          code: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
};

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
export async function engineCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HttpException) throw err;
    throw httpError(
      503,
      'ALERTING.UNAVAILABLE',
      `the alert engine could not commit the change; retry: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
