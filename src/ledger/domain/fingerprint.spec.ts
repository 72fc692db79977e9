import { canonicalTransferBody, transferFingerprint } from './fingerprint.js';
import { type TransferRequest } from './transfer.js';

const base: TransferRequest = {
  transferId: '11111111-1111-4111-8111-111111111111',
  kind: 'TRANSFER',
  debitAccountId: 'alice',
  creditAccountId: 'bob',
  amountMinor: 100n,
  currency: 'USD',
  relatedTransferId: null,
  timeoutSeconds: null,
  sourceSystem: 'checkout',
  requestEventId: '22222222-2222-4222-8222-222222222222',
  requestedAt: new Date('2026-01-01T00:00:00Z'),
  description: null,
  metadata: { order: '42', channel: 'web' },
};

describe('transfer fingerprint', () => {
  it('is a SHA-256 hex digest of the canonical body', () => {
    expect(transferFingerprint(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(canonicalTransferBody(base)).toBe(
      '["transfer-v1","TRANSFER","alice","bob","100","USD","",0,"checkout","",[["channel","web"],["order","42"]]]',
    );
  });

  it('ignores what a retry may change: event id, requestedAt, metadata order', () => {
    const retry: TransferRequest = {
      ...base,
      requestEventId: '33333333-3333-4333-8333-333333333333',
      requestedAt: new Date('2026-01-02T00:00:00Z'),
      metadata: { channel: 'web', order: '42' },
    };
    expect(transferFingerprint(retry)).toBe(transferFingerprint(base));
  });

  it('treats null and 0 timeouts, null and empty descriptions, as the same', () => {
    expect(transferFingerprint({ ...base, timeoutSeconds: 0 })).toBe(transferFingerprint(base));
    expect(transferFingerprint({ ...base, description: '' })).toBe(transferFingerprint(base));
  });

  it('ignores the account ids that settlements and reversals ignore', () => {
    const post: TransferRequest = {
      ...base,
      kind: 'POST_PENDING',
      relatedTransferId: '44444444-4444-4444-8444-444444444444',
    };
    expect(transferFingerprint({ ...post, debitAccountId: '', creditAccountId: 'x' })).toBe(
      transferFingerprint(post),
    );
  });

  it.each<[string, Partial<TransferRequest>]>([
    ['kind', { kind: 'PENDING' }],
    ['debit account', { debitAccountId: 'carol' }],
    ['credit account', { creditAccountId: 'carol' }],
    ['amount', { amountMinor: 101n }],
    ['currency', { currency: 'EUR' }],
    ['related transfer', { relatedTransferId: '44444444-4444-4444-8444-444444444444' }],
    ['timeout', { timeoutSeconds: 30 }],
    ['source system', { sourceSystem: 'payroll' }],
    ['description', { description: 'rent' }],
    ['metadata value', { metadata: { order: '43', channel: 'web' } }],
    ['metadata key', { metadata: { order: '42' } }],
  ])('changes when the %s changes', (_field, change) => {
    expect(transferFingerprint({ ...base, ...change })).not.toBe(transferFingerprint(base));
  });
});
