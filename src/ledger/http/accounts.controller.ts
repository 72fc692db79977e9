import {
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { type Principal, RequireScopes } from '../../platform/auth/auth.guard.js';
import { LedgerCode } from '../domain/result-codes.js';
import { LedgerRepository } from '../ledger.repository.js';
import {
  AccountDto,
  BalanceAtDto,
  CreateAccountDto,
  CreateAccountResponseDto,
  EntryPageDto,
  ErrorDto,
  ValidationErrorDto,
} from './dto.js';
import { validateBody, validationFailed } from '../../platform/http/validation.js';
import {
  accountJson,
  auditSource,
  balanceAtJson,
  entryPageJson,
  newAccountFrom,
  parseAccountIdParam,
  parseAsOf,
  parseEntryQuery,
  type Parsed,
} from './views.js';

interface AuthenticatedRequest {
  principal?: Principal;
}

interface StatusReply {
  status(code: number): unknown;
}

function valueOf<T>(parsed: Parsed<T>): T {
  if (!parsed.ok) throw validationFailed(parsed.issues);
  return parsed.value;
}

export function accountNotFound(id: string): NotFoundException {
  return new NotFoundException({
    statusCode: 404,
    error: 'Not Found',
    code: LedgerCode.ACCOUNT_NOT_FOUND,
    message: `account ${id} does not exist`,
  });
}

/** Field of the create-account body a domain rejection is about. */
function rejectionField(code: string, reason: string): string {
  switch (code) {
    case LedgerCode.INVALID_ACCOUNT_ID:
      return 'id';
    case LedgerCode.INVALID_CURRENCY:
      return reason.startsWith('scale') ? 'scale' : 'currency';
    case LedgerCode.INVALID_BOUNDS:
      return reason.startsWith('maxBalanceMinor') ? 'maxBalanceMinor' : 'minBalanceMinor';
    default:
      return '';
  }
}

/** A query parameter as text; a repeated one (an array) is kept as text so it fails validation. */
function queryText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

@ApiTags('accounts')
@ApiSecurity('api-key')
@ApiExtraModels(AccountDto, BalanceAtDto)
@ApiUnauthorizedResponse({ type: ErrorDto, description: 'No valid credentials.' })
@ApiForbiddenResponse({ type: ErrorDto, description: 'Credentials lack the scope.' })
@Controller('accounts')
export class AccountsController {
  constructor(@Inject(LedgerRepository) private readonly ledger: LedgerRepository) {}

  @Post()
  @HttpCode(201)
  @RequireScopes('ledger:write')
  @ApiOperation({
    summary: 'Open an account',
    description:
      'Idempotent on the id: the same id with the same currency and bounds answers 200 with the existing account; with different terms 409 LEDGER.ACCOUNT_EXISTS.',
  })
  @ApiBody({ type: CreateAccountDto })
  @ApiCreatedResponse({ type: CreateAccountResponseDto, description: 'Created.' })
  @ApiOkResponse({ type: CreateAccountResponseDto, description: 'Already existed, same terms.' })
  @ApiBadRequestResponse({ type: ValidationErrorDto })
  @ApiConflictResponse({ type: ErrorDto, description: 'The id exists with other terms.' })
  async create(
    @Body() body: unknown,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) reply: StatusReply,
  ): Promise<CreateAccountResponseDto> {
    const dto = await validateBody(CreateAccountDto, body);
    const source = req.principal ? auditSource(req.principal) : 'http:unknown';
    const [result] = await this.ledger.createAccounts([newAccountFrom(dto, source)]);
    if (result === undefined) throw new Error('createAccounts returned no result');
    if (result.status === 'REJECTED') {
      if (result.code === LedgerCode.ACCOUNT_EXISTS) {
        throw new ConflictException({
          statusCode: 409,
          error: 'Conflict',
          code: result.code,
          message: result.reason,
        });
      }
      throw validationFailed([
        {
          field: rejectionField(result.code, result.reason),
          code: result.code,
          message: result.reason,
        },
      ]);
    }
    if (result.status === 'EXISTS') reply.status(200);
    return { status: result.status, account: accountJson(result.account) };
  }

  @Post(':id/close')
  @HttpCode(200)
  @RequireScopes('ledger:write')
  @ApiOperation({
    summary: 'Close an account',
    description:
      'A closed account takes part in no new transfer (LEDGER.ACCOUNT_CLOSED); its reservations can still be voided or expire. Idempotent.',
  })
  @ApiParam({ name: 'id', description: 'Account id.' })
  @ApiOkResponse({ type: AccountDto })
  @ApiBadRequestResponse({ type: ValidationErrorDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async close(@Param('id') rawId: string, @Req() req: AuthenticatedRequest): Promise<AccountDto> {
    const id = valueOf(parseAccountIdParam(rawId));
    const source = req.principal ? auditSource(req.principal) : 'http:unknown';
    const result = await this.ledger.closeAccount(id, source);
    if (result.status === 'REJECTED') throw accountNotFound(id);
    return accountJson(result.account);
  }

  @Get(':id')
  @RequireScopes('ledger:read')
  @ApiOperation({
    summary: 'An account with its balances',
    description:
      'With `asOf`, the posted balance at that moment instead (from the journal: the balance after the last entry at or before it).',
  })
  @ApiParam({ name: 'id', description: 'Account id.' })
  @ApiQuery({
    name: 'asOf',
    required: false,
    description: 'ISO 8601 date-time with a zone, e.g. 2026-11-22T17:00:00Z.',
  })
  @ApiOkResponse({
    schema: { oneOf: [{ $ref: getSchemaPath(AccountDto) }, { $ref: getSchemaPath(BalanceAtDto) }] },
    description: 'AccountDto, or BalanceAtDto when asOf is given.',
  })
  @ApiBadRequestResponse({ type: ValidationErrorDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async get(
    @Param('id') rawId: string,
    @Query('asOf') rawAsOf?: unknown,
  ): Promise<AccountDto | BalanceAtDto> {
    const id = valueOf(parseAccountIdParam(rawId));
    const asOf = valueOf(parseAsOf(queryText(rawAsOf)));
    if (asOf !== undefined) {
      const at = await this.ledger.getBalanceAt(id, asOf);
      if (at === undefined) throw accountNotFound(id);
      return balanceAtJson(at);
    }
    const account = await this.ledger.getAccount(id);
    if (account === undefined) throw accountNotFound(id);
    return accountJson(account);
  }

  @Get(':id/entries')
  @RequireScopes('ledger:read')
  @ApiOperation({
    summary: "A page of an account's journal",
    description: 'Keyset pagination on the per-account sequence: pass nextCursor back as cursor.',
  })
  @ApiParam({ name: 'id', description: 'Account id.' })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100.' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page.' })
  @ApiQuery({ name: 'order', required: false, enum: ['asc', 'desc'] })
  @ApiOkResponse({ type: EntryPageDto })
  @ApiBadRequestResponse({ type: ValidationErrorDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async entries(
    @Param('id') rawId: string,
    @Query() query: Record<string, unknown>,
  ): Promise<EntryPageDto> {
    const id = valueOf(parseAccountIdParam(rawId));
    const q = valueOf(
      parseEntryQuery({
        limit: queryText(query.limit),
        cursor: queryText(query.cursor),
        order: queryText(query.order),
      }),
    );
    const page = await this.ledger.listEntries(id, q);
    if (page === undefined) throw accountNotFound(id);
    return entryPageJson(page);
  }
}
