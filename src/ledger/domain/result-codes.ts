/**
 * Stable result codes of the ledger. Expected rejections are returned values carrying one of
 * these codes (as TigerBeetle's result codes are), never thrown exceptions: the edge turns them
 * into a `TransferRejected` event, an HTTP 4xx or a log line. Codes are part of the public
 * contract (they travel in `TransferRejected.code`): add new ones, never rename or reuse one.
 */
export const LedgerCode = {
  // Transfers: accounts and amounts.
  ACCOUNT_NOT_FOUND: 'LEDGER.ACCOUNT_NOT_FOUND',
  ACCOUNT_CLOSED: 'LEDGER.ACCOUNT_CLOSED',
  CURRENCY_MISMATCH: 'LEDGER.CURRENCY_MISMATCH',
  SAME_ACCOUNT: 'LEDGER.SAME_ACCOUNT',
  INVALID_AMOUNT: 'LEDGER.INVALID_AMOUNT',
  AMOUNT_OUT_OF_RANGE: 'LEDGER.AMOUNT_OUT_OF_RANGE',
  INSUFFICIENT_FUNDS: 'LEDGER.INSUFFICIENT_FUNDS',
  BOUND_EXCEEDED: 'LEDGER.BOUND_EXCEEDED',
  OVERFLOW: 'LEDGER.OVERFLOW',
  INVALID_TIMEOUT: 'LEDGER.INVALID_TIMEOUT',
  IDEMPOTENCY_CONFLICT: 'LEDGER.IDEMPOTENCY_CONFLICT',
  // Transfers that name another transfer (POST_PENDING, VOID_PENDING, REVERSAL).
  RELATED_TRANSFER_REQUIRED: 'LEDGER.RELATED_TRANSFER_REQUIRED',
  // Two-phase transfers.
  PENDING_NOT_FOUND: 'LEDGER.PENDING_NOT_FOUND',
  NOT_A_PENDING_TRANSFER: 'LEDGER.NOT_A_PENDING_TRANSFER',
  PENDING_ALREADY_SETTLED: 'LEDGER.PENDING_ALREADY_SETTLED',
  PENDING_EXPIRED: 'LEDGER.PENDING_EXPIRED',
  POST_EXCEEDS_PENDING: 'LEDGER.POST_EXCEEDS_PENDING',
  VOID_AMOUNT_MISMATCH: 'LEDGER.VOID_AMOUNT_MISMATCH',
  // Reversals.
  REVERSAL_TARGET_NOT_FOUND: 'LEDGER.REVERSAL_TARGET_NOT_FOUND',
  REVERSAL_TARGET_NOT_POSTED: 'LEDGER.REVERSAL_TARGET_NOT_POSTED',
  CANNOT_REVERSE_REVERSAL: 'LEDGER.CANNOT_REVERSE_REVERSAL',
  ALREADY_REVERSED: 'LEDGER.ALREADY_REVERSED',
  REVERSAL_EXCEEDS_ORIGINAL: 'LEDGER.REVERSAL_EXCEEDS_ORIGINAL',
  // Account creation.
  INVALID_ACCOUNT_ID: 'LEDGER.INVALID_ACCOUNT_ID',
  INVALID_CURRENCY: 'LEDGER.INVALID_CURRENCY',
  INVALID_BOUNDS: 'LEDGER.INVALID_BOUNDS',
  ACCOUNT_EXISTS: 'LEDGER.ACCOUNT_EXISTS',
  INVALID_SOURCE_SYSTEM: 'LEDGER.INVALID_SOURCE_SYSTEM',
} as const;

export type LedgerCode = (typeof LedgerCode)[keyof typeof LedgerCode];

/** Codes a transfer request can be rejected with (recorded as its outcome, or replayed). */
export type TransferRejectionCode = Exclude<
  LedgerCode,
  | typeof LedgerCode.INVALID_ACCOUNT_ID
  | typeof LedgerCode.INVALID_CURRENCY
  | typeof LedgerCode.INVALID_BOUNDS
  | typeof LedgerCode.ACCOUNT_EXISTS
  | typeof LedgerCode.INVALID_SOURCE_SYSTEM
>;

/** Codes an account creation can be refused with. */
export type AccountRejectionCode =
  | typeof LedgerCode.INVALID_ACCOUNT_ID
  | typeof LedgerCode.INVALID_CURRENCY
  | typeof LedgerCode.INVALID_BOUNDS
  | typeof LedgerCode.ACCOUNT_EXISTS
  | typeof LedgerCode.INVALID_SOURCE_SYSTEM;

/** A refused operation: a stable code for machines and a sentence for people. */
export interface Rejection<C extends LedgerCode = LedgerCode> {
  readonly code: C;
  readonly reason: string;
}

const ALL_CODES: ReadonlySet<string> = new Set(Object.values(LedgerCode));

/** True when `value` is one of the ledger's codes (used when reading stored outcomes). */
export function isLedgerCode(value: string): value is LedgerCode {
  return ALL_CODES.has(value);
}
