import { Controller, Get, Inject, NotFoundException, Param } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { RequireScopes } from '../../platform/auth/auth.guard.js';
import { LedgerRepository } from '../ledger.repository.js';
import { ErrorDto, TransferDto, ValidationErrorDto } from './dto.js';
import { validationFailed } from '../../platform/http/validation.js';
import { parseTransferIdParam, transferJson } from './views.js';

/** HTTP-level code for an id the ledger has no outcome for (not a transfer result code). */
export const TRANSFER_NOT_FOUND = 'LEDGER.TRANSFER_NOT_FOUND';

@ApiTags('transfers')
@ApiSecurity('api-key')
@ApiUnauthorizedResponse({ type: ErrorDto, description: 'No valid credentials.' })
@ApiForbiddenResponse({ type: ErrorDto, description: 'Credentials lack the scope.' })
@Controller('transfers')
export class TransfersController {
  constructor(@Inject(LedgerRepository) private readonly ledger: LedgerRepository) {}

  @Get(':id')
  @RequireScopes('ledger:read')
  @ApiOperation({
    summary: 'The recorded outcome of a transfer id',
    description:
      'Status (POSTED, PENDING, VOIDED, REJECTED with its result code), balances after it, and for pending transfers the state of the reservation.',
  })
  @ApiParam({ name: 'id', description: 'Transfer id (UUID).' })
  @ApiOkResponse({ type: TransferDto })
  @ApiBadRequestResponse({ type: ValidationErrorDto })
  @ApiNotFoundResponse({ type: ErrorDto })
  async get(@Param('id') rawId: string): Promise<TransferDto> {
    const parsed = parseTransferIdParam(rawId);
    if (!parsed.ok) throw validationFailed(parsed.issues);
    const transfer = await this.ledger.getTransfer(parsed.value);
    if (transfer === undefined) {
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        code: TRANSFER_NOT_FOUND,
        message: `no outcome is recorded for transfer ${parsed.value}`,
      });
    }
    return transferJson(transfer);
  }
}
