import { type TransferKind } from '../../platform/schemas/generated.js';
import { type BalanceSnapshot } from './account.js';
import { type LedgerCode, type TransferRejectionCode } from './result-codes.js';

export type { TransferKind };

/**
 * A transfer request as the domain sees it: already structurally valid (ids are UUIDs, the amount
 * is an integer, strings are bounded — see parse-transfer-request.ts), not yet judged against the
 * ledger's rules.
 */
export interface TransferRequest {
  /** Caller-chosen id, lower-case UUID: the idempotency key. */
  readonly transferId: string;
  readonly kind: TransferKind;
  /** Ignored for POST_PENDING, VOID_PENDING and REVERSAL, which use the related transfer's. */
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  /**
   * Minor units. TRANSFER/PENDING: > 0. POST_PENDING: 0 = the full pending amount, else a partial
   * post. VOID_PENDING: 0 or the pending amount. REVERSAL: 0 = whatever is left to reverse.
   */
  readonly amountMinor: bigint;
  /** For the kinds that name a related transfer an empty string means "the related one's". */
  readonly currency: string;
  readonly relatedTransferId: string | null;
  /** PENDING only: seconds until an unsettled reservation expires; null or 0 = never. */
  readonly timeoutSeconds: number | null;
  /** Audit: which upstream system asked. */
  readonly sourceSystem: string;
  /** eventId of the Kafka message that carried the request, when it came from Kafka. */
  readonly requestEventId: string | null;
  readonly requestedAt: Date;
  readonly description: string | null;
  readonly metadata: Readonly<Record<string, string>>;
}

/** What became of a transfer request. POSTED/PENDING/VOIDED are accepted outcomes. */
export type OutcomeStatus = 'POSTED' | 'PENDING' | 'VOIDED' | 'REJECTED';

/** State of a reservation made by an accepted PENDING transfer. */
export type PendingState = 'PENDING' | 'POSTED' | 'VOIDED' | 'EXPIRED';

/**
 * The recorded outcome of one transfer id — written once, never changed, and replayed to anyone
 * who sends the same request again.
 */
export interface TransferRecord {
  readonly transferId: string;
  readonly kind: TransferKind;
  readonly status: OutcomeStatus;
  /** Null for accepted outcomes. */
  readonly code: TransferRejectionCode | null;
  readonly reason: string | null;
  /** SHA-256 (hex) of the canonical request body; see fingerprint.ts. */
  readonly fingerprint: string;
  /** Accounts actually used (for settlements and reversals: taken from the related transfer). */
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  /** Amount posted, reserved or released; for a rejection the amount as requested. */
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly relatedTransferId: string | null;
  /** Balances of both accounts right after this transfer; null for rejections. */
  readonly debitBalanceAfter: BalanceSnapshot | null;
  readonly creditBalanceAfter: BalanceSnapshot | null;
  readonly timeoutSeconds: number | null;
  /** Accepted PENDING only: when the reservation expires (null = never). */
  readonly expiresAt: Date | null;
  readonly sourceSystem: string;
  readonly requestEventId: string | null;
  readonly requestedAt: Date;
  /** When the ledger decided (the batch's time, taken after its account locks were granted). */
  readonly decidedAt: Date;
  readonly description: string | null;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * The mutable part of a transfer's life, kept apart from its immutable record: the state of its
 * reservation (accepted PENDING transfers) and how much of it has been reversed.
 */
export interface TransferLifecycle {
  readonly pendingState: PendingState | null;
  readonly settledByTransferId: string | null;
  readonly reversedMinor: bigint;
}

/** A transfer the ledger already decided, with its current lifecycle. */
export interface KnownTransfer {
  readonly record: TransferRecord;
  readonly lifecycle: TransferLifecycle;
}

export const NO_LIFECYCLE: TransferLifecycle = {
  pendingState: null,
  settledByTransferId: null,
  reversedMinor: 0n,
};

/** One line of the journal: append-only, with the account's posted balance after it. */
export interface EntryRecord {
  readonly accountId: string;
  /** Per-account sequence: 1, 2, 3, ... (gapless), the keyset for pagination. */
  readonly seq: bigint;
  readonly transferId: string;
  readonly side: 'DEBIT' | 'CREDIT';
  readonly amountMinor: bigint;
  /** Posted balance (credits - debits) of the account after this entry. */
  readonly balanceAfterMinor: bigint;
  readonly postedAt: Date;
}

/** What one request in a batch did. */
export type TransferResult =
  /** The request was decided now: posted, reserved, voided or rejected (see outcome.status). */
  | { readonly disposition: 'APPLIED'; readonly outcome: TransferRecord }
  /** Same id, same body as an earlier request: its original outcome, nothing written. */
  | { readonly disposition: 'DUPLICATE'; readonly outcome: TransferRecord }
  /**
   * Same id, different body: refused with IDEMPOTENCY_CONFLICT; nothing written, no event (the
   * id already has its one outcome, returned as `original`).
   */
  | {
      readonly disposition: 'CONFLICT';
      readonly code: typeof LedgerCode.IDEMPOTENCY_CONFLICT;
      readonly reason: string;
      readonly original: TransferRecord;
    };

/** Accepted outcome statuses. */
export function isAccepted(status: OutcomeStatus): boolean {
  return status !== 'REJECTED';
}
