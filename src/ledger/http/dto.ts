import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { REQUEST_LIMITS } from '../domain/parse-transfer-request.js';

/**
 * HTTP request and response shapes of the ledger API. Money is a decimal string of minor units
 * (cents for USD) in both directions: JSON numbers lose precision beyond 2^53 in most clients.
 */

const MINOR_PATTERN = /^-?\d{1,19}$/;

/** A decimal integer string of minor units, or a JSON integer within ±(2^53 − 1). */
function IsMinorUnits(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isMinorUnits',
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'string' && MINOR_PATTERN.test(value)) ||
          (typeof value === 'number' && Number.isSafeInteger(value)),
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be an integer number of minor units (a decimal string such as "-5000")`,
      },
    },
    options,
  );
}

/** A flat object of string values with bounded keys, values and entry count. */
function IsStringMap(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isStringMap',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
          const entries = Object.entries(value as Record<string, unknown>);
          return (
            entries.length <= REQUEST_LIMITS.metadataEntries &&
            entries.every(
              ([k, v]) =>
                k.length > 0 &&
                k.length <= REQUEST_LIMITS.metadataKeyLength &&
                typeof v === 'string' &&
                v.length <= REQUEST_LIMITS.metadataValueLength &&
                !v.includes('\u0000') &&
                !k.includes('\u0000'),
            )
          );
        },
        defaultMessage: () =>
          `metadata must be an object of at most ${REQUEST_LIMITS.metadataEntries} string values (keys ≤ ${REQUEST_LIMITS.metadataKeyLength}, values ≤ ${REQUEST_LIMITS.metadataValueLength} characters)`,
      },
    },
    options,
  );
}

/** No NUL character: PostgreSQL text cannot store one. */
function HasNoNul(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'hasNoNul',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !value.includes('\u0000'),
        defaultMessage: (args) => `${args?.property ?? 'value'} must not contain NUL characters`,
      },
    },
    options,
  );
}

export class CreateAccountDto {
  @ApiProperty({
    description: 'Caller-chosen account id: 1-128 visible ASCII characters, no spaces.',
    example: 'customer-42',
    pattern: '^[\\x21-\\x7e]{1,128}$',
  })
  @IsString()
  @Matches(/^[\x21-\x7e]{1,128}$/, {
    message: 'id must be 1-128 visible ASCII characters without spaces',
  })
  id!: string;

  @ApiProperty({ description: 'ISO 4217 code.', example: 'USD', pattern: '^[A-Z]{3}$' })
  @IsString()
  @Matches(/^[A-Z]{3}$/, {
    message: 'currency must be an ISO 4217 code (three upper-case letters)',
  })
  currency!: string;

  @ApiPropertyOptional({
    description: "Minor-unit digits; defaults to the currency's (2 for USD).",
    minimum: 0,
    maximum: 18,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(18)
  scale?: number;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description:
      'Lowest available balance (minor units, ≤ 0). Omitted: 0 (no overdraft); null: unbounded; negative: an overdraft limit.',
    example: '0',
  })
  @IsOptional()
  @IsMinorUnits()
  minBalanceMinor?: string | number | null;

  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description:
      'Highest balance (minor units, ≥ 0), incoming reservations included. Omitted or null: none.',
    example: '100000000',
  })
  @IsOptional()
  @IsMinorUnits()
  maxBalanceMinor?: string | number | null;

  @ApiPropertyOptional({ nullable: true, maxLength: REQUEST_LIMITS.descriptionLength })
  @IsOptional()
  @IsString()
  @MaxLength(REQUEST_LIMITS.descriptionLength)
  @HasNoNul()
  description?: string | null;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: `Caller-defined attributes (≤ ${REQUEST_LIMITS.metadataEntries}).`,
  })
  @IsOptional()
  @IsStringMap()
  metadata?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Responses (documentation of what the controllers return; views.ts builds them)
// ---------------------------------------------------------------------------------------------

export class BalanceDto {
  @ApiProperty({ description: 'Credits minus debits of posted entries.', example: '12500' })
  postedMinor!: string;
  @ApiProperty({ description: 'Reserved by pending transfers debiting the account.' })
  pendingDebitsMinor!: string;
  @ApiProperty({ description: 'Reserved by pending transfers crediting the account.' })
  pendingCreditsMinor!: string;
  @ApiProperty({ description: 'What the account can still spend: posted minus pending debits.' })
  availableMinor!: string;
  @ApiProperty()
  debitsPostedMinor!: string;
  @ApiProperty()
  creditsPostedMinor!: string;
}

export class AccountDto {
  @ApiProperty() id!: string;
  @ApiProperty() currency!: string;
  @ApiProperty() scale!: number;
  @ApiProperty({ enum: ['OPEN', 'CLOSED'] }) status!: 'OPEN' | 'CLOSED';
  @ApiProperty({ type: String, nullable: true }) minBalanceMinor!: string | null;
  @ApiProperty({ type: String, nullable: true }) maxBalanceMinor!: string | null;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  metadata!: Record<string, string>;
  @ApiProperty({ type: BalanceDto }) balance!: BalanceDto;
  @ApiProperty({ description: 'Entries in the journal.' }) entryCount!: string;
  @ApiProperty() createdBy!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ type: String, nullable: true }) closedBy!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) closedAt!: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt!: string;
}

export class CreateAccountResponseDto {
  @ApiProperty({ enum: ['CREATED', 'EXISTS'] }) status!: 'CREATED' | 'EXISTS';
  @ApiProperty({ type: AccountDto }) account!: AccountDto;
}

export class BalanceAtDto {
  @ApiProperty() accountId!: string;
  @ApiProperty() currency!: string;
  @ApiProperty() scale!: number;
  @ApiProperty({ format: 'date-time', description: 'The moment asked for.' }) asOf!: string;
  @ApiProperty({ description: 'Posted balance after the last entry at or before asOf.' })
  postedMinor!: string;
  @ApiProperty({ description: "That entry's sequence number; 0 before the first entry." })
  entrySeq!: string;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  entryPostedAt!: string | null;
}

export class EntryDto {
  @ApiProperty() accountId!: string;
  @ApiProperty({ description: 'Per-account sequence (1, 2, 3, …).' }) seq!: string;
  @ApiProperty({ format: 'uuid' }) transferId!: string;
  @ApiProperty({ enum: ['TRANSFER', 'PENDING', 'POST_PENDING', 'VOID_PENDING', 'REVERSAL'] })
  kind!: string;
  @ApiProperty({ enum: ['DEBIT', 'CREDIT'] }) side!: 'DEBIT' | 'CREDIT';
  @ApiProperty() amountMinor!: string;
  @ApiProperty({ description: 'Posted balance after this entry.' }) balanceAfterMinor!: string;
  @ApiProperty() counterpartyAccountId!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ format: 'date-time' }) postedAt!: string;
}

export class EntryPageDto {
  @ApiProperty({ type: [EntryDto] }) entries!: EntryDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page.',
  })
  nextCursor!: string | null;
}

export class BalanceSnapshotDto {
  @ApiProperty() postedMinor!: string;
  @ApiProperty() pendingDebitsMinor!: string;
  @ApiProperty() pendingCreditsMinor!: string;
  @ApiProperty() availableMinor!: string;
}

export class TransferDto {
  @ApiProperty({ format: 'uuid' }) transferId!: string;
  @ApiProperty({ enum: ['TRANSFER', 'PENDING', 'POST_PENDING', 'VOID_PENDING', 'REVERSAL'] })
  kind!: string;
  @ApiProperty({ enum: ['POSTED', 'PENDING', 'VOIDED', 'REJECTED'] }) status!: string;
  @ApiProperty({ type: String, nullable: true, description: 'Result code of a rejection.' })
  code!: string | null;
  @ApiProperty({ type: String, nullable: true }) reason!: string | null;
  @ApiProperty() debitAccountId!: string;
  @ApiProperty() creditAccountId!: string;
  @ApiProperty() amountMinor!: string;
  @ApiProperty() currency!: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) relatedTransferId!: string | null;
  @ApiProperty({ type: BalanceSnapshotDto, nullable: true })
  debitBalanceAfter!: BalanceSnapshotDto | null;
  @ApiProperty({ type: BalanceSnapshotDto, nullable: true })
  creditBalanceAfter!: BalanceSnapshotDto | null;
  @ApiProperty({ type: Number, nullable: true }) timeoutSeconds!: number | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) expiresAt!: string | null;
  @ApiProperty({ enum: ['PENDING', 'POSTED', 'VOIDED', 'EXPIRED'], nullable: true })
  pendingState!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' })
  settledByTransferId!: string | null;
  @ApiProperty({ type: String, nullable: true, format: 'date-time' }) settledAt!: string | null;
  @ApiProperty({ description: 'Amount reversed so far.' }) reversedMinor!: string;
  @ApiProperty() sourceSystem!: string;
  @ApiProperty({ type: String, nullable: true, format: 'uuid' }) requestEventId!: string | null;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ format: 'date-time' }) decidedAt!: string;
  @ApiProperty({ type: String, nullable: true }) description!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  metadata!: Record<string, string>;
}

export class FieldErrorDto {
  @ApiProperty({ example: 'currency' }) field!: string;
  @ApiProperty({ example: 'VALIDATION.MATCHES' }) code!: string;
  @ApiProperty() message!: string;
}

export class ErrorDto {
  @ApiProperty({ example: 404 }) statusCode!: number;
  @ApiProperty({ example: 'Not Found' }) error!: string;
  @ApiProperty({ example: 'LEDGER.ACCOUNT_NOT_FOUND' }) code!: string;
  @ApiProperty() message!: string;
}

export class ValidationErrorDto extends ErrorDto {
  @ApiProperty({ type: [FieldErrorDto] }) errors!: FieldErrorDto[];
}
