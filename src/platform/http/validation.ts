import { BadRequestException } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { type ErrorItem } from './http-errors.js';

/**
 * Request validation with the platform's error shape:
 * `400 { statusCode, error, code: VALIDATION.INVALID, message, errors: [{ field, code, message }] }`.
 * A DTO class declares the rules (class-validator decorators); unknown fields are refused, so a
 * typo in an optional field is an error rather than a silent default.
 */
export type FieldIssue = ErrorItem;

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

/** What an input's keys are called in messages: body fields or query parameters. */
export type InputKind = 'field' | 'parameter';

/** Flattens class-validator errors (nested objects included) into field issues. */
export function fieldIssues(
  errors: readonly ValidationError[],
  kind: InputKind = 'field',
  parent = '',
): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const e of errors) {
    const field = parent === '' ? e.property : `${parent}.${e.property}`;
    for (const [constraint, message] of Object.entries(e.constraints ?? {})) {
      const unknown = constraint === 'whitelistValidation';
      out.push({
        field,
        code: unknown ? 'VALIDATION.UNKNOWN_FIELD' : constraintCode(constraint),
        message: unknown ? `${field} is not a known ${kind}` : message,
      });
    }
    if (e.children && e.children.length > 0) out.push(...fieldIssues(e.children, kind, field));
  }
  return out;
}

async function validated<T extends object>(
  cls: new () => T,
  plain: object,
  kind: InputKind,
): Promise<T> {
  const dto = plainToInstance(cls, plain, { enableImplicitConversion: false });
  const errors = await validate(dto, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) throw validationFailed(fieldIssues(errors, kind));
  return dto;
}

/** Turns a JSON body into a validated DTO instance or throws 400 with every field issue. */
export async function validateBody<T extends object>(cls: new () => T, body: unknown): Promise<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw validationFailed([
      { field: '', code: 'VALIDATION.BODY', message: 'the body must be a JSON object' },
    ]);
  }
  return validated(cls, body, 'field');
}

/**
 * Turns a parsed query string into a validated DTO instance or throws 400 with every parameter
 * issue. Values stay strings (no implicit conversion); a missing query reads as no parameters.
 */
export async function validateQuery<T extends object>(
  cls: new () => T,
  query: unknown,
): Promise<T> {
  return validated(cls, typeof query === 'object' && query !== null ? query : {}, 'parameter');
}
