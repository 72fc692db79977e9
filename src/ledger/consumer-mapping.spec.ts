import { type ConsumedMessage } from '../platform/messaging/batch-consumer.js';
import { DlqReason } from '../platform/messaging/errors.js';
import { type TransferRequested } from '../platform/schemas/generated.js';
import {
  currencyLabel,
  describeFieldErrors,
  outcomeLabel,
  parseChunk,
  splitTallyKey,
  tallyKey,
  tallyResults,
} from './consumer-mapping.js';
import { LedgerCode } from './domain/result-codes.js';
import {
  type TransferRecord,
  type TransferRequest,
  type TransferResult,
} from './domain/transfer.js';

const ID = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function wire(n: number, overrides: Partial<TransferRequested> = {}): TransferRequested {
  return {
    eventId: ID(1000 + n),
    transferId: ID(n),
    kind: 'TRANSFER',
    debitAccountId: 'alice',
    creditAccountId: 'bob',
    amountMinor: 100,
    currency: 'USD',
    relatedTransferId: null,
    timeoutSeconds: null,
    sourceSystem: 'checkout',
    requestedAt: 1_700_000_000_000,
    description: null,
    metadata: {},
    ...overrides,
  };
}

function consumed(value: TransferRequested, offset: number): ConsumedMessage<TransferRequested> {
  return {
    topic: 'transactions.requested',
    partition: 2,
    offset: String(offset),
    key: value.transferId,
    value,
    headers: {},
    timestamp: 0,
  };
}

function record(overrides: Partial<TransferRecord> = {}): TransferRecord {
  return {
    transferId: ID(1),
    kind: 'TRANSFER',
    status: 'POSTED',
    code: null,
    reason: null,
    fingerprint: 'f',
    debitAccountId: 'alice',
    creditAccountId: 'bob',
    amountMinor: 250n,
    currency: 'USD',
    relatedTransferId: null,
    debitBalanceAfter: null,
    creditBalanceAfter: null,
    timeoutSeconds: null,
    expiresAt: null,
    sourceSystem: 'checkout',
    requestEventId: null,
    requestedAt: new Date(0),
    decidedAt: new Date(0),
    description: null,
    metadata: {},
    ...overrides,
  };
}

function request(overrides: Partial<TransferRequest> = {}): TransferRequest {
  return {
    transferId: ID(1),
    kind: 'TRANSFER',
    debitAccountId: 'alice',
    creditAccountId: 'bob',
    amountMinor: 250n,
    currency: 'USD',
    relatedTransferId: null,
    timeoutSeconds: null,
    sourceSystem: 'checkout',
    requestEventId: null,
    requestedAt: new Date(0),
    description: null,
    metadata: {},
    ...overrides,
  };
}

describe('parseChunk', () => {
  it('keeps valid requests in order with their source messages', () => {
    const messages = [consumed(wire(1), 10), consumed(wire(2, { amountMinor: -5 }), 11)];
    const parsed = parseChunk(messages);
    expect(parsed.requests.map((r) => r.transferId)).toEqual([ID(1), ID(2)]);
    expect(parsed.requests[1]?.amountMinor).toBe(-5n); // a business rule, decided by the ledger
    expect(parsed.sources.map((m) => m.offset)).toEqual(['10', '11']);
    expect(parsed.failures).toEqual([]);
  });

  it('turns field errors into VALIDATION.INVALID failures at their offsets', () => {
    const messages = [
      consumed(wire(1), 10),
      consumed(wire(2, { transferId: 'not-a-uuid', sourceSystem: '' }), 11),
      consumed(wire(3, { description: 'a\u0000b', currency: 'EUR' }), 12),
      consumed(wire(4), 13),
    ];
    const parsed = parseChunk(messages);
    expect(parsed.requests.map((r) => r.transferId)).toEqual([ID(1), ID(4)]);
    expect(parsed.sources.map((m) => m.offset)).toEqual(['10', '13']);
    expect(parsed.failures).toEqual([
      {
        offset: '11',
        reasonCode: DlqReason.VALIDATION,
        error: 'transferId: must be a UUID; sourceSystem: is required',
      },
      {
        offset: '12',
        reasonCode: DlqReason.VALIDATION,
        error: 'description: must not contain NUL characters',
      },
    ]);
    expect(parsed.invalidCurrencies).toEqual(['USD', 'EUR']);
  });

  it('handles an empty chunk and a chunk of only invalid messages', () => {
    expect(parseChunk([])).toEqual({
      requests: [],
      sources: [],
      failures: [],
      invalidCurrencies: [],
    });
    const parsed = parseChunk([consumed(wire(1, { eventId: 'x' }), 5)]);
    expect(parsed.requests).toEqual([]);
    expect(parsed.failures).toHaveLength(1);
  });
});

describe('describeFieldErrors', () => {
  it('joins field errors and bounds the text for the DLQ header', () => {
    expect(describeFieldErrors([{ field: 'a', message: 'b' }])).toBe('a: b');
    const long = describeFieldErrors(
      Array.from({ length: 200 }, (_, i) => ({ field: `f${i}`, message: 'is bad' })),
    );
    expect(long.length).toBe(1000);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('currencyLabel', () => {
  it('keeps ISO codes and folds anything else into OTHER (bounded label set)', () => {
    expect(currencyLabel('USD')).toBe('USD');
    expect(currencyLabel('JPY')).toBe('JPY');
    expect(currencyLabel('usd')).toBe('OTHER');
    expect(currencyLabel('ZZZ')).toBe('OTHER');
    expect(currencyLabel('')).toBe('OTHER');
    expect(currencyLabel('X'.repeat(16))).toBe('OTHER');
  });
});

describe('outcomeLabel', () => {
  it.each([
    [{ disposition: 'APPLIED', outcome: record({ status: 'POSTED' }) }, 'posted'],
    [{ disposition: 'APPLIED', outcome: record({ status: 'PENDING' }) }, 'pending'],
    [{ disposition: 'APPLIED', outcome: record({ status: 'VOIDED' }) }, 'voided'],
    [{ disposition: 'APPLIED', outcome: record({ status: 'REJECTED' }) }, 'rejected'],
    [{ disposition: 'DUPLICATE', outcome: record() }, 'duplicate'],
    [
      {
        disposition: 'CONFLICT',
        code: LedgerCode.IDEMPOTENCY_CONFLICT,
        reason: 'r',
        original: record(),
      },
      'conflict',
    ],
  ] as Array<[TransferResult, string]>)('%# → %s', (result, label) => {
    expect(outcomeLabel(result)).toBe(label);
  });
});

describe('tallyResults', () => {
  it('counts outcomes per currency, posted volume, rejection codes and conflicts', () => {
    const requests = [
      request({ transferId: ID(1), amountMinor: 250n }),
      request({ transferId: ID(2), amountMinor: 50n, currency: 'EUR' }),
      request({ transferId: ID(3) }),
      request({ transferId: ID(4) }),
      request({ transferId: ID(5), currency: 'EUR', sourceSystem: 'shop' }),
      request({ transferId: ID(6), amountMinor: 9n }),
    ];
    const sources = requests.map((r, i) => consumed(wire(i + 1), 100 + i));
    const results: TransferResult[] = [
      { disposition: 'APPLIED', outcome: record({ transferId: ID(1), amountMinor: 250n }) },
      {
        disposition: 'APPLIED',
        outcome: record({ transferId: ID(2), amountMinor: 50n, currency: 'EUR' }),
      },
      {
        disposition: 'APPLIED',
        outcome: record({
          transferId: ID(3),
          status: 'REJECTED',
          code: LedgerCode.INSUFFICIENT_FUNDS,
        }),
      },
      // A replay posts nothing new: counted as duplicate, not as volume.
      { disposition: 'DUPLICATE', outcome: record({ transferId: ID(4), amountMinor: 1000n }) },
      {
        disposition: 'CONFLICT',
        code: LedgerCode.IDEMPOTENCY_CONFLICT,
        reason: 'different body',
        original: record({ transferId: ID(5), status: 'REJECTED' }),
      },
      { disposition: 'APPLIED', outcome: record({ transferId: ID(6), amountMinor: 9n }) },
    ];
    const tally = tallyResults(requests, sources, results);
    expect(Object.fromEntries(tally.transfers)).toEqual({
      [tallyKey('USD', 'posted')]: 2,
      [tallyKey('EUR', 'posted')]: 1,
      [tallyKey('USD', 'rejected')]: 1,
      [tallyKey('USD', 'duplicate')]: 1,
      [tallyKey('EUR', 'conflict')]: 1,
    });
    expect(Object.fromEntries(tally.volume)).toEqual({ USD: 259n, EUR: 50n });
    expect(Object.fromEntries(tally.rejections)).toEqual({
      [LedgerCode.INSUFFICIENT_FUNDS]: 1,
    });
    expect(tally.conflicts).toEqual([
      {
        transferId: ID(5),
        partition: 2,
        offset: '104',
        sourceSystem: 'shop',
        originalStatus: 'REJECTED',
      },
    ]);
  });

  it('labels settlements and reversals by the currency of the outcome, not the empty request one', () => {
    const requests = [request({ kind: 'POST_PENDING', currency: '', amountMinor: 0n })];
    const results: TransferResult[] = [
      {
        disposition: 'APPLIED',
        outcome: record({ kind: 'POST_PENDING', currency: 'GBP', amountMinor: 70n }),
      },
    ];
    const tally = tallyResults(requests, [consumed(wire(1), 1)], results);
    expect(Object.fromEntries(tally.transfers)).toEqual({ [tallyKey('GBP', 'posted')]: 1 });
    expect(Object.fromEntries(tally.volume)).toEqual({ GBP: 70n });
  });

  it('round-trips tally keys', () => {
    expect(splitTallyKey(tallyKey('USD', 'expired'))).toEqual({
      currency: 'USD',
      outcome: 'expired',
    });
  });
});
