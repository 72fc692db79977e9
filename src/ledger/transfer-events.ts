import { TOPICS } from '../platform/messaging/topics.js';
import { type OutboxMessage } from '../platform/outbox/outbox.types.js';
import { type TransferPosted, type TransferRejected } from '../platform/schemas/generated.js';
import { type Expiration } from './domain/ledger-batch.js';
import { MAX_AMOUNT_MINOR, minorToNumber } from './domain/money.js';
import { type TransferRecord } from './domain/transfer.js';
import { uuidV5 } from './domain/uuid.js';

/**
 * Namespace of the ledger's name-based event ids (itself uuidV5('streamline:ledger:events') in
 * the RFC 9562 URL namespace). Changing it would re-issue every event id: never do.
 */
export const LEDGER_EVENT_NAMESPACE = '6cf43791-ccec-5e0c-9a37-8bab6bcc5b1e';

/**
 * Event ids are a pure function of what they announce, so however often a batch is retried or a
 * request re-delivered, the one outcome of a transfer id can only ever produce the one event id
 * (and the outbox's UNIQUE(event_id) makes a second row impossible):
 * - the outcome of transfer id T (posted, pending, voided or rejected): uuidV5(`${T}/outcome`);
 * - the expiry of pending transfer T's reservation: uuidV5(`${T}/expired`).
 */
export function outcomeEventId(transferId: string): string {
  return uuidV5(`${transferId}/outcome`, LEDGER_EVENT_NAMESPACE);
}

export function expiryEventId(pendingTransferId: string): string {
  return uuidV5(`${pendingTransferId}/expired`, LEDGER_EVENT_NAMESPACE);
}

/** The outbox message announcing a recorded outcome: TransferPosted or TransferRejected. */
export function outcomeMessage(record: TransferRecord): OutboxMessage {
  const eventId = outcomeEventId(record.transferId);
  if (record.status === 'REJECTED') {
    const payload: TransferRejected = {
      eventId,
      transferId: record.transferId,
      code: record.code ?? 'LEDGER.UNKNOWN',
      reason: record.reason ?? '',
      kind: record.kind,
      debitAccountId: record.debitAccountId,
      creditAccountId: record.creditAccountId,
      amountMinor: requestedAmount(record.amountMinor),
      currency: record.currency,
      sourceSystem: record.sourceSystem,
      requestEventId: record.requestEventId,
      rejectedAt: record.decidedAt.getTime(),
    };
    return message(TOPICS.transferRejected.name, record.transferId, eventId, { ...payload });
  }
  const debitAfter = record.debitBalanceAfter;
  const creditAfter = record.creditBalanceAfter;
  if (debitAfter === null || creditAfter === null) {
    throw new Error(`accepted transfer ${record.transferId} has no balances after it`);
  }
  const payload: TransferPosted = {
    eventId,
    transferId: record.transferId,
    kind: record.kind,
    status: record.status,
    debitAccountId: record.debitAccountId,
    creditAccountId: record.creditAccountId,
    amountMinor: minorToNumber(record.amountMinor),
    currency: record.currency,
    debitBalanceAfterMinor: minorToNumber(debitAfter.postedMinor),
    creditBalanceAfterMinor: minorToNumber(creditAfter.postedMinor),
    relatedTransferId: record.relatedTransferId,
    sourceSystem: record.sourceSystem,
    requestEventId: record.requestEventId,
    postedAt: record.decidedAt.getTime(),
  };
  return message(TOPICS.transferPosted.name, record.transferId, eventId, { ...payload });
}

/**
 * The outbox message announcing that a reservation expired: a TransferPosted about the pending
 * transfer itself (key = its id, so it follows the PENDING event in per-key order), status
 * EXPIRED, the released amount, no request behind it.
 */
export function expiryMessage(expiration: Expiration): OutboxMessage {
  const p = expiration.pending;
  const eventId = expiryEventId(p.transferId);
  const payload: TransferPosted = {
    eventId,
    transferId: p.transferId,
    kind: 'PENDING',
    status: 'EXPIRED',
    debitAccountId: p.debitAccountId,
    creditAccountId: p.creditAccountId,
    amountMinor: minorToNumber(p.amountMinor),
    currency: p.currency,
    debitBalanceAfterMinor: minorToNumber(expiration.debitBalanceAfter.postedMinor),
    creditBalanceAfterMinor: minorToNumber(expiration.creditBalanceAfter.postedMinor),
    relatedTransferId: null,
    sourceSystem: p.sourceSystem,
    requestEventId: null,
    postedAt: expiration.expiredAt.getTime(),
  };
  return message(TOPICS.transferPosted.name, p.transferId, eventId, { ...payload });
}

/**
 * A rejected request's amount as the caller sent it. Requests decoded from Avro fit a JS number;
 * one beyond what avsc can encode (rejected as AMOUNT_OUT_OF_RANGE, e.g. 2^53 - 1, or a larger
 * bigint built by code) is reported as the nearest encodable bound, its exact value staying in
 * the reason and the database.
 */
function requestedAmount(amount: bigint): number {
  if (amount > MAX_AMOUNT_MINOR) return Number(MAX_AMOUNT_MINOR);
  if (amount < -MAX_AMOUNT_MINOR) return -Number(MAX_AMOUNT_MINOR);
  return Number(amount);
}

function message(
  topic: string,
  key: string,
  eventId: string,
  payload: Record<string, unknown>,
): OutboxMessage {
  return { eventId, topic, key, payload };
}
