import { hash } from 'node:crypto';
import { type TransferRequest } from './transfer.js';

/**
 * The canonical body of a transfer request, hashed to decide whether a re-sent transfer id is the
 * same request (replay the original outcome) or a different one (IDEMPOTENCY_CONFLICT).
 *
 * In: every field that says what should happen — kind, accounts, amount, currency, related id,
 * timeout, who asks (sourceSystem), description and metadata.
 * Out: the transport's `eventId` and the caller's `requestedAt`, which a retry legitimately
 * re-stamps; and the debit/credit account ids of POST_PENDING, VOID_PENDING and REVERSAL, which
 * the contract says are ignored (the related transfer's accounts are used).
 * Semantically equal spellings are normalised: null and 0 timeouts, null and empty description,
 * metadata key order. The list is versioned so the canonical form can evolve without colliding.
 */
export function canonicalTransferBody(r: TransferRequest): string {
  const usesRelatedAccounts =
    r.kind === 'POST_PENDING' || r.kind === 'VOID_PENDING' || r.kind === 'REVERSAL';
  const metadata = Object.keys(r.metadata)
    .sort()
    .map((k) => [k, r.metadata[k] ?? '']);
  return JSON.stringify([
    'transfer-v1',
    r.kind,
    usesRelatedAccounts ? '' : r.debitAccountId,
    usesRelatedAccounts ? '' : r.creditAccountId,
    r.amountMinor.toString(),
    r.currency,
    r.relatedTransferId ?? '',
    r.timeoutSeconds ?? 0,
    r.sourceSystem,
    r.description ?? '',
    metadata,
  ]);
}

/** SHA-256 (lower-case hex) of the canonical body. */
export function transferFingerprint(r: TransferRequest): string {
  return hash('sha256', canonicalTransferBody(r), 'hex');
}
