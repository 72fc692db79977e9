import { HttpException } from '@nestjs/common';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
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

/**
 * The platform's error body: `{ statusCode, error, code, message, errors? }` — `code` is stable
 * and machine-readable (`BODY.MALFORMED_JSON`, `VALIDATION.FAILED`, `RATE.LIMITED`, …), `errors`
 * lists field-level problems.
 */
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
