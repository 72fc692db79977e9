import { BadRequestException } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';

/**
 * Request validation with the platform's error shape:
 * `400 { statusCode, error, message, errors: [{ field, code, message }] }`.
 */
export interface FieldIssue {
  readonly field: string;
  readonly code: string;
  readonly message: string;
}

export const VALIDATION_FAILED = 'VALIDATION.INVALID';

export function validationFailed(errors: readonly FieldIssue[]): BadRequestException {
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    code: VALIDATION_FAILED,
    message: 'request validation failed',
    errors,
  });
}

/** `isString` → `VALIDATION.IS_STRING`. */
export function constraintCode(constraint: string): string {
  return `VALIDATION.${constraint.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** Flattens class-validator errors (nested objects included) into field issues. */
export function fieldIssues(errors: readonly ValidationError[], parent = ''): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const e of errors) {
    const field = parent === '' ? e.property : `${parent}.${e.property}`;
    for (const [constraint, message] of Object.entries(e.constraints ?? {})) {
      out.push({
        field,
        code:
          constraint === 'whitelistValidation'
            ? 'VALIDATION.UNKNOWN_FIELD'
            : constraintCode(constraint),
        message: constraint === 'whitelistValidation' ? `${field} is not a known field` : message,
      });
    }
    if (e.children && e.children.length > 0) out.push(...fieldIssues(e.children, field));
  }
  return out;
}

/**
 * Turns a JSON body into a validated DTO instance or throws 400 with every field issue. Unknown
 * fields are refused (a typo in `minBalanceMinor` must not silently open an unbounded account).
 */
export async function validateBody<T extends object>(cls: new () => T, body: unknown): Promise<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validationFailed([
      { field: '', code: 'VALIDATION.BODY', message: 'the body must be a JSON object' },
    ]);
  }
  const dto = plainToInstance(cls, body, { enableImplicitConversion: false });
  const errors = await validate(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) throw validationFailed(fieldIssues(errors));
  return dto;
}
