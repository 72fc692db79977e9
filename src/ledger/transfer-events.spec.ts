import avro from 'avsc';
import { TOPICS } from '../platform/messaging/topics.js';
import { TransferPostedSchema, TransferRejectedSchema } from '../platform/schemas/generated.js';
import { zeroTotals, type AccountState } from './domain/account.js';
import { LedgerBatch } from './domain/ledger-batch.js';
import { MAX_AMOUNT_MINOR } from './domain/money.js';
import { type TransferRequest } from './domain/transfer.js';
import { expiryEventId, expiryMessage, outcomeEventId, outcomeMessage } from './transfer-events.js';

const posted = avro.Type.forSchema(JSON.parse(TransferPostedSchema) as avro.Schema);
const rejected = avro.Type.forSchema(JSON.parse(TransferRejectedSchema) as avro.Schema);
const NOW = new Date('2026-03-01T12:00:00.000Z');

function account(id: string, credits: bigint, min: bigint | null = 0n): AccountState {
  return {
    id,
    currency: 'USD',
    scale: 2,
    status: 'OPEN',
    minBalanceMinor: min,
    maxBalanceMinor: null,
    totals: { ...zeroTotals(), creditsPosted: credits },
    lastSeq: 0n,
  };
}

function req(id: string, overrides: Partial<TransferRequest> = {}): TransferRequest {
  return {
    transferId: id,
    kind: 'TRANSFER',
    debitAccountId: 'alice',
    creditAccountId: 'bob',
    amountMinor: 100n,
    currency: 'USD',
    relatedTransferId: null,
    timeoutSeconds: null,
    sourceSystem: 'checkout',
    requestEventId: '99999999-9999-4999-8999-999999999999',
    requestedAt: NOW,
    description: null,
    metadata: {},
    ...overrides,
  };
}

function errorsOf(type: avro.Type, value: unknown): string[] {
  const paths: string[] = [];
  type.isValid(value, { errorHook: (path) => paths.push(path.join('.')) });
  return paths;
}

describe('transfer events', () => {
  const batch = new LedgerBatch({
    accounts: [account('alice', 1000n), account('bob', 0n)],
    known: [],
    now: NOW,
  });
  const ok = batch.apply(req('11111111-1111-4111-8111-111111111111'));
  const bad = batch.apply(req('22222222-2222-4222-8222-222222222222', { amountMinor: 5000n }));
  const huge = batch.apply(
    req('33333333-3333-4333-8333-333333333333', { amountMinor: MAX_AMOUNT_MINOR + 7n }),
  );
  const hold = batch.apply(
    req('44444444-4444-4444-8444-444444444444', { kind: 'PENDING', timeoutSeconds: 1 }),
  );

  it('announce a posting as a valid TransferPosted keyed by transfer id', () => {
    if (ok.disposition !== 'APPLIED') throw new Error('expected a new outcome');
    const message = outcomeMessage(ok.outcome);
    expect(message).toMatchObject({
      topic: TOPICS.transferPosted.name,
      key: ok.outcome.transferId,
      eventId: outcomeEventId(ok.outcome.transferId),
    });
    expect(errorsOf(posted, message.payload)).toEqual([]);
    expect(message.payload).toEqual({
      eventId: message.eventId,
      transferId: '11111111-1111-4111-8111-111111111111',
      kind: 'TRANSFER',
      status: 'POSTED',
      debitAccountId: 'alice',
      creditAccountId: 'bob',
      amountMinor: 100,
      currency: 'USD',
      debitBalanceAfterMinor: 900,
      creditBalanceAfterMinor: 100,
      relatedTransferId: null,
      sourceSystem: 'checkout',
      requestEventId: '99999999-9999-4999-8999-999999999999',
      postedAt: NOW.getTime(),
    });
  });

  it('announce a rejection as a valid TransferRejected with its code', () => {
    if (bad.disposition !== 'APPLIED') throw new Error('expected a new outcome');
    const message = outcomeMessage(bad.outcome);
    expect(message.topic).toBe(TOPICS.transferRejected.name);
    expect(errorsOf(rejected, message.payload)).toEqual([]);
    expect(message.payload).toMatchObject({
      code: 'LEDGER.INSUFFICIENT_FUNDS',
      amountMinor: 5000,
      rejectedAt: NOW.getTime(),
    });
  });

  it('keep an unrepresentable requested amount encodable', () => {
    if (huge.disposition !== 'APPLIED') throw new Error('expected a new outcome');
    const message = outcomeMessage(huge.outcome);
    expect(errorsOf(rejected, message.payload)).toEqual([]);
    expect(message.payload.amountMinor).toBe(Number(MAX_AMOUNT_MINOR));
  });

  it('announce an expiry as a TransferPosted with status EXPIRED and its own event id', () => {
    if (hold.disposition !== 'APPLIED') throw new Error('expected a new outcome');
    const later = new LedgerBatch({
      accounts: batch.changedAccounts(),
      known: [
        {
          record: hold.outcome,
          lifecycle: { pendingState: 'PENDING', settledByTransferId: null, reversedMinor: 0n },
        },
      ],
      now: new Date(NOW.getTime() + 1000),
    });
    const expiration = later.expire(hold.outcome.transferId);
    if (expiration === undefined) throw new Error('expected an expiry');
    const message = expiryMessage(expiration);
    expect(errorsOf(posted, message.payload)).toEqual([]);
    expect(message).toMatchObject({
      key: hold.outcome.transferId,
      eventId: expiryEventId(hold.outcome.transferId),
    });
    expect(message.payload).toMatchObject({
      kind: 'PENDING',
      status: 'EXPIRED',
      amountMinor: 100,
      requestEventId: null,
    });
    expect(message.eventId).not.toBe(outcomeEventId(hold.outcome.transferId));
  });

  it('derive event ids from the transfer id alone', () => {
    expect(outcomeEventId('11111111-1111-4111-8111-111111111111')).toBe(
      outcomeEventId('11111111-1111-4111-8111-111111111111'),
    );
    expect(outcomeEventId('11111111-1111-4111-8111-111111111111')).not.toBe(
      outcomeEventId('22222222-2222-4222-8222-222222222222'),
    );
  });
});
