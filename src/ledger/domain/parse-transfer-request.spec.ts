import { type TransferRequested } from '../../platform/schemas/generated.js';
import { checkTransferRequest, parseTransferRequested } from './parse-transfer-request.js';

const wire: TransferRequested = {
  eventId: 'AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA',
  transferId: 'BBBBBBBB-BBBB-4BBB-8BBB-BBBBBBBBBBBB',
  debitAccountId: 'alice',
  creditAccountId: 'bob',
  amountMinor: 1234,
  currency: 'USD',
  sourceSystem: 'checkout',
  requestedAt: Date.parse('2026-01-01T00:00:00Z'),
};

function errorsOf(msg: TransferRequested): string[] {
  const result = parseTransferRequested(msg);
  return result.ok ? [] : result.errors.map((e) => e.field);
}

describe('parseTransferRequested', () => {
  it('converts a decoded Avro record into a domain request', () => {
    const result = parseTransferRequested(wire);
    expect(result).toEqual({
      ok: true,
      request: {
        transferId: 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb',
        kind: 'TRANSFER',
        debitAccountId: 'alice',
        creditAccountId: 'bob',
        amountMinor: 1234n,
        currency: 'USD',
        relatedTransferId: null,
        timeoutSeconds: null,
        sourceSystem: 'checkout',
        requestEventId: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
        requestedAt: new Date('2026-01-01T00:00:00Z'),
        description: null,
        metadata: {},
      },
    });
    const request = result.ok ? result.request : undefined;
    expect(request && checkTransferRequest(request)).toEqual([]);
  });

  it('keeps business-rule violations for the domain (negative amounts are well-formed)', () => {
    expect(errorsOf({ ...wire, amountMinor: -5, currency: 'usd' })).toEqual([]);
  });

  it.each<[string, Partial<TransferRequested>, string]>([
    ['a transfer id that is not a UUID', { transferId: 'x' }, 'transferId'],
    ['an event id that is not a UUID', { eventId: 'x' }, 'eventId'],
    ['an unknown kind', { kind: 'GIFT' as never }, 'kind'],
    ['a fractional amount', { amountMinor: 1.5 }, 'amountMinor'],
    ['an unsafe amount', { amountMinor: 2 ** 60 }, 'amountMinor'],
    ['a related id that is not a UUID', { relatedTransferId: 'x' }, 'relatedTransferId'],
    ['a fractional timeout', { timeoutSeconds: 1.5 }, 'timeoutSeconds'],
    ['an empty source system', { sourceSystem: '' }, 'sourceSystem'],
    ['an over-long account id', { debitAccountId: 'a'.repeat(129) }, 'debitAccountId'],
    ['a NUL character', { creditAccountId: 'bo\u0000b' }, 'creditAccountId'],
    ['an over-long description', { description: 'd'.repeat(1025) }, 'description'],
    ['an unusable timestamp', { requestedAt: Number.NaN }, 'requestedAt'],
  ])('reports %s as a field error', (_name, change, field) => {
    expect(errorsOf({ ...wire, ...change })).toContain(field);
  });

  it('bounds metadata', () => {
    const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));
    expect(errorsOf({ ...wire, metadata: many })).toContain('metadata');
    expect(errorsOf({ ...wire, metadata: { k: 'v'.repeat(513) } })).toContain('metadata.k');
    expect(errorsOf({ ...wire, metadata: { ['k'.repeat(65)]: 'v' } })).toContain('metadata key');
  });
});

describe('checkTransferRequest', () => {
  const parsed = parseTransferRequested(wire);
  if (!parsed.ok) throw new Error('fixture must parse');
  const request = parsed.request;

  it('accepts amounts beyond 2^53 that fit 64 bits (the domain rejects them with a code)', () => {
    expect(checkTransferRequest({ ...request, amountMinor: 2n ** 60n })).toEqual([]);
    expect(
      checkTransferRequest({ ...request, amountMinor: 2n ** 63n }).map((e) => e.field),
    ).toEqual(['amountMinor']);
  });

  it('insists on lower-case ids (they are compared as strings)', () => {
    const fields = checkTransferRequest({
      ...request,
      transferId: request.transferId.toUpperCase(),
      relatedTransferId: 'CCCCCCCC-CCCC-4CCC-8CCC-CCCCCCCCCCCC',
    }).map((e) => e.field);
    expect(fields).toEqual(['transferId', 'relatedTransferId']);
  });

  it('rejects invalid dates, oversized timeouts and NUL characters in metadata', () => {
    const fields = checkTransferRequest({
      ...request,
      requestedAt: new Date(Number.NaN),
      timeoutSeconds: 2 ** 40,
      metadata: { k: 'a\u0000' },
    }).map((e) => e.field);
    expect(fields).toEqual(['timeoutSeconds', 'requestedAt', 'metadata.k']);
  });
});
