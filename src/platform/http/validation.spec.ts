import 'reflect-metadata';
import { type BadRequestException } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength, ValidateNested } from 'class-validator';
import { constraintCode, validateBody, validateQuery } from './validation.js';

class OwnerDto {
  @IsString()
  @MaxLength(3)
  name!: string;
}

class ItemDto {
  @IsString()
  id!: string;

  @IsOptional()
  @IsInt()
  count?: number;

  @IsOptional()
  @ValidateNested()
  @Type(() => OwnerDto)
  owner?: OwnerDto;
}

class ListQueryDto {
  @IsOptional()
  @IsString()
  cursor?: string;
}

async function answerOf(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
    return null;
  } catch (err) {
    return (err as BadRequestException).getResponse();
  }
}

describe('request validation', () => {
  it('answers 400 with every field issue, nested fields and unknown fields included', async () => {
    const answer = await answerOf(() =>
      validateBody(ItemDto, { id: 1, count: '2', owner: { name: 'toolong', x: 1 }, colour: 'red' }),
    );
    expect(answer).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      code: 'VALIDATION.INVALID',
      message: 'request validation failed',
      errors: [
        {
          field: 'colour',
          code: 'VALIDATION.UNKNOWN_FIELD',
          message: 'colour is not a known field',
        },
        { field: 'id', code: 'VALIDATION.IS_STRING', message: 'id must be a string' },
        {
          field: 'count',
          code: 'VALIDATION.IS_INT',
          message: 'count must be an integer number',
        },
        {
          field: 'owner.x',
          code: 'VALIDATION.UNKNOWN_FIELD',
          message: 'owner.x is not a known field',
        },
        {
          field: 'owner.name',
          code: 'VALIDATION.MAX_LENGTH',
          message: 'name must be shorter than or equal to 3 characters',
        },
      ],
    });
    await expect(validateBody(ItemDto, { id: 'a', owner: { name: 'bob' } })).resolves.toEqual({
      id: 'a',
      owner: { name: 'bob' },
    });
  });

  it('refuses a body that is not a JSON object', async () => {
    for (const body of [null, [], 'text', 42]) {
      expect(await answerOf(() => validateBody(ItemDto, body))).toMatchObject({
        statusCode: 400,
        errors: [{ field: '', code: 'VALIDATION.BODY', message: 'the body must be a JSON object' }],
      });
    }
  });

  it('names unknown query parameters as parameters and keeps values as text', async () => {
    expect(await answerOf(() => validateQuery(ListQueryDto, { cursor: 'a', limit: '5' }))).toEqual(
      expect.objectContaining({
        errors: [
          {
            field: 'limit',
            code: 'VALIDATION.UNKNOWN_FIELD',
            message: 'limit is not a known parameter',
          },
        ],
      }),
    );
    await expect(validateQuery(ListQueryDto, undefined)).resolves.toEqual({});
    await expect(validateQuery(ListQueryDto, { cursor: 'c' })).resolves.toEqual({ cursor: 'c' });
  });

  it('names constraint codes in upper snake case', () => {
    expect(constraintCode('isMinorUnits')).toBe('VALIDATION.IS_MINOR_UNITS');
    expect(constraintCode('maxLength')).toBe('VALIDATION.MAX_LENGTH');
    expect(constraintCode('isISO8601')).toBe('VALIDATION.IS_ISO8601');
  });
});
