import { HttpException } from '@nestjs/common';

/**
 * The platform's HTTP error body, shared by every service:
 * `{ statusCode, error, code, message, errors? }` — `code` is stable and machine-readable
 * (`VALIDATION.FAILED`, `RATE.LIMITED`, `LEDGER.ACCOUNT_NOT_FOUND`, …), `errors` lists
 * field-level problems.
 */
const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
};

export interface ErrorItem {
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

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

/** A request as the auth guard leaves it: the caller, when one was authenticated. */
export interface PrincipalRequest {
  principal?: { id: string; apiKey?: { name: string } };
}

/** The caller as recorded on changes (API key name or JWT subject). */
export function principalName(req: PrincipalRequest): string {
  const p = req.principal;
  if (!p) return 'unknown';
  return p.apiKey ? `api-key:${p.apiKey.name}` : `jwt:${p.id}`;
}

/** OpenAPI schema of the error body; `itemProperties` documents extra fields of `errors[]`. */
export function errorSchemaWith(
  itemProperties: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
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
            ...itemProperties,
            field: { type: 'string' },
            code: { type: 'string' },
            message: { type: 'string' },
          },
        },
      },
    },
  };
}

/**
 * Runs a state change; a failure that is not already an HTTP answer (commit failed, store
 * unavailable) becomes 503 with `code` and "<what>; retry: <cause>", so clients know to retry.
 */
export async function unavailableOnFailure<T>(
  code: string,
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HttpException) throw err;
    throw httpError(
      503,
      code,
      `${what}; retry: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
