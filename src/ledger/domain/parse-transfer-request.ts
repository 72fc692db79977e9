import { type TransferKind, type TransferRequested } from '../../platform/schemas/generated.js';
import { type TransferRequest } from './transfer.js';
import { isUuid } from './uuid.js';

/**
 * The edge between the wire and the domain. A request that is structurally broken — an id that is
 * not a UUID, an amount that is not an exact integer, an unknown kind, unbounded strings — cannot
 * be given a recorded outcome (there may not even be a usable transfer id), so it is reported as
 * field errors for the caller to dead-letter (Kafka) or answer with 400 (HTTP). Everything that is
 * well-formed goes to the domain, which rejects business-rule violations (negative amounts,
 * unknown accounts, ...) with a recorded, replayable outcome.
 */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export type ParseResult =
  | { readonly ok: true; readonly request: TransferRequest }
  | { readonly ok: false; readonly errors: readonly FieldError[] };

const KINDS: readonly TransferKind[] = [
  'TRANSFER',
  'PENDING',
  'POST_PENDING',
  'VOID_PENDING',
  'REVERSAL',
];

/** Limits on caller-supplied strings ("put a limit on everything"). */
export const REQUEST_LIMITS = {
  accountIdLength: 128,
  currencyLength: 16,
  sourceSystemLength: 128,
  descriptionLength: 1024,
  metadataEntries: 32,
  metadataKeyLength: 64,
  metadataValueLength: 512,
  /** About 68 years: the largest timeout a PostgreSQL interval and a JS Date both handle. */
  timeoutSecondsMax: 2_147_483_647,
} as const;

/**
 * Parses a decoded `TransferRequested` (Avro longs arrive as JS numbers, exact up to 2^53 - 1).
 * Amounts are converted to bigint here and nowhere else.
 */
export function parseTransferRequested(msg: TransferRequested): ParseResult {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string): void => {
    errors.push({ field, message });
  };

  if (!isUuid(msg.transferId)) fail('transferId', 'must be a UUID');
  if (!isUuid(msg.eventId)) fail('eventId', 'must be a UUID');
  const kind = msg.kind ?? 'TRANSFER';
  if (!KINDS.includes(kind)) fail('kind', `must be one of ${KINDS.join(', ')}`);
  checkText(fail, 'debitAccountId', msg.debitAccountId, REQUEST_LIMITS.accountIdLength);
  checkText(fail, 'creditAccountId', msg.creditAccountId, REQUEST_LIMITS.accountIdLength);
  checkText(fail, 'currency', msg.currency, REQUEST_LIMITS.currencyLength);
  if (!Number.isSafeInteger(msg.amountMinor)) {
    fail('amountMinor', 'must be an integer within ±(2^53 - 1)');
  }
  const related = msg.relatedTransferId ?? null;
  if (related !== null && !isUuid(related)) fail('relatedTransferId', 'must be a UUID or null');
  const timeout = msg.timeoutSeconds ?? null;
  if (timeout !== null && !Number.isInteger(timeout)) {
    fail('timeoutSeconds', 'must be an integer or null');
  }
  if (msg.sourceSystem.length === 0) fail('sourceSystem', 'is required');
  checkText(fail, 'sourceSystem', msg.sourceSystem, REQUEST_LIMITS.sourceSystemLength);
  if (!Number.isSafeInteger(msg.requestedAt) || Number.isNaN(new Date(msg.requestedAt).getTime())) {
    fail('requestedAt', 'must be epoch milliseconds');
  }
  const description = msg.description ?? null;
  if (description !== null) {
    checkText(fail, 'description', description, REQUEST_LIMITS.descriptionLength);
  }
  const metadata = msg.metadata ?? {};
  const keys = Object.keys(metadata);
  if (keys.length > REQUEST_LIMITS.metadataEntries) {
    fail('metadata', `at most ${REQUEST_LIMITS.metadataEntries} entries`);
  }
  checkMetadata(fail, metadata);
  if (errors.length > 0) return { ok: false, errors };

  return {
    ok: true,
    request: {
      transferId: msg.transferId.toLowerCase(),
      kind,
      debitAccountId: msg.debitAccountId,
      creditAccountId: msg.creditAccountId,
      amountMinor: BigInt(msg.amountMinor),
      currency: msg.currency,
      relatedTransferId: related === null ? null : related.toLowerCase(),
      timeoutSeconds: timeout,
      sourceSystem: msg.sourceSystem,
      requestEventId: msg.eventId.toLowerCase(),
      requestedAt: new Date(msg.requestedAt),
      description,
      metadata: { ...metadata },
    },
  };
}

/**
 * The same structural checks for a request built by code (HTTP API, tests) rather than decoded
 * from Avro: returns the field errors, empty when the request may be handed to the ledger.
 */
export function checkTransferRequest(r: TransferRequest): FieldError[] {
  const errors: FieldError[] = [];
  const fail = (field: string, message: string): void => {
    errors.push({ field, message });
  };
  if (!isUuid(r.transferId) || r.transferId !== r.transferId.toLowerCase()) {
    fail('transferId', 'must be a lower-case UUID');
  }
  if (!KINDS.includes(r.kind)) fail('kind', `must be one of ${KINDS.join(', ')}`);
  checkText(fail, 'debitAccountId', r.debitAccountId, REQUEST_LIMITS.accountIdLength);
  checkText(fail, 'creditAccountId', r.creditAccountId, REQUEST_LIMITS.accountIdLength);
  checkText(fail, 'currency', r.currency, REQUEST_LIMITS.currencyLength);
  const int64 = 2n ** 63n;
  if (r.amountMinor >= int64 || r.amountMinor < -int64) {
    fail('amountMinor', 'must fit in a signed 64-bit integer');
  }
  if (
    r.relatedTransferId !== null &&
    (!isUuid(r.relatedTransferId) || r.relatedTransferId !== r.relatedTransferId.toLowerCase())
  ) {
    fail('relatedTransferId', 'must be a lower-case UUID or null');
  }
  if (r.requestEventId !== null && !isUuid(r.requestEventId)) {
    fail('requestEventId', 'must be a UUID or null');
  }
  if (
    r.timeoutSeconds !== null &&
    (!Number.isInteger(r.timeoutSeconds) || Math.abs(r.timeoutSeconds) > 2_147_483_647)
  ) {
    fail('timeoutSeconds', 'must be a 32-bit integer or null');
  }
  if (r.sourceSystem.length === 0) fail('sourceSystem', 'is required');
  checkText(fail, 'sourceSystem', r.sourceSystem, REQUEST_LIMITS.sourceSystemLength);
  if (Number.isNaN(r.requestedAt.getTime())) fail('requestedAt', 'must be a valid date');
  if (r.description !== null) {
    checkText(fail, 'description', r.description, REQUEST_LIMITS.descriptionLength);
  }
  if (Object.keys(r.metadata).length > REQUEST_LIMITS.metadataEntries) {
    fail('metadata', `at most ${REQUEST_LIMITS.metadataEntries} entries`);
  }
  checkMetadata(fail, r.metadata);
  return errors;
}

function checkMetadata(
  fail: (field: string, message: string) => void,
  metadata: Readonly<Record<string, string>>,
): void {
  for (const [key, value] of Object.entries(metadata)) {
    checkText(fail, 'metadata key', key, REQUEST_LIMITS.metadataKeyLength);
    if (typeof value !== 'string') fail(`metadata.${key}`, 'must be a string');
    else checkText(fail, `metadata.${key.slice(0, 64)}`, value, REQUEST_LIMITS.metadataValueLength);
  }
}

/** Bounded length, and no NUL character (PostgreSQL text and jsonb cannot store one). */
function checkText(
  fail: (field: string, message: string) => void,
  field: string,
  value: string,
  max: number,
): void {
  if (value.length > max) fail(field, `at most ${max} characters`);
  if (value.includes('\u0000')) fail(field, 'must not contain NUL characters');
}
