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
          field: { type: 'string' },
          code: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
};

export async function stateCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HttpException) throw err;
    throw httpError(
      503,
      'NOTIFIER.UNAVAILABLE',
      `the change could not be committed; retry: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}
