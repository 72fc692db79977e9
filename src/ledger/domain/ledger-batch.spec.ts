import { zeroTotals, withinBounds, type AccountState } from './account.js';
import { transferFingerprint } from './fingerprint.js';
import { LedgerBatch } from './ledger-batch.js';
import { MAX_AMOUNT_MINOR } from './money.js';
import { LedgerCode } from './result-codes.js';
import {
  NO_LIFECYCLE,
  type KnownTransfer,
  type TransferRecord,
  type TransferRequest,
  type TransferResult,
} from './transfer.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');

let idCounter = 0;
/** Deterministic, distinct lower-case UUIDs. */
function nextId(): string {
  idCounter += 1;
  return `00000000-0000-4000-8000-${idCounter.toString(16).padStart(12, '0')}`;
}

function account(
  id: string,
  options: {
    balance?: bigint;
    min?: bigint | null;
    max?: bigint | null;
    currency?: string;
    status?: 'OPEN' | 'CLOSED';
  } = {},
): AccountState {
  const totals = zeroTotals();
  const balance = options.balance ?? 0n;
  if (balance >= 0n) totals.creditsPosted = balance;
  else totals.debitsPosted = -balance;
  return {
    id,
    currency: options.currency ?? 'USD',
    scale: 2,
    status: options.status ?? 'OPEN',
    minBalanceMinor: options.min === undefined ? 0n : options.min,
    maxBalanceMinor: options.max ?? null,
    totals,
    lastSeq: 0n,
  };
}

function req(overrides: Partial<TransferRequest> = {}): TransferRequest {
  return {
    transferId: nextId(),
    kind: 'TRANSFER',
    debitAccountId: 'alice',
    creditAccountId: 'bob',
    amountMinor: 100n,
    currency: 'USD',
    relatedTransferId: null,
    timeoutSeconds: null,
    sourceSystem: 'checkout',
    requestEventId: nextId(),
    requestedAt: new Date('2026-03-01T11:59:59.000Z'),
    description: null,
    metadata: {},
    ...overrides,
  };
}

function standardAccounts(): AccountState[] {
  return [
    account('world', { min: null }),
    account('alice', { balance: 1000n }),
    account('bob', { balance: 0n }),
    account('carol', { balance: 500n, min: -300n }),
    account('capped', { balance: 0n, max: 1000n }),
    account('euro', { balance: 1000n, currency: 'EUR' }),
    account('closed', { balance: 1000n, status: 'CLOSED' }),
  ];
}

function newBatch(
  accounts: AccountState[] = standardAccounts(),
  known: KnownTransfer[] = [],
  now = NOW,
): LedgerBatch {
  return new LedgerBatch({ accounts, known, now });
}

function outcomeOf(result: TransferResult): TransferRecord {
  if (result.disposition === 'CONFLICT') throw new Error('unexpected conflict');
  return result.outcome;
}

function expectRejected(result: TransferResult, code: string): void {
  expect(result.disposition).toBe('APPLIED');
  const outcome = outcomeOf(result);
  expect(outcome.status).toBe('REJECTED');
  expect(outcome.code).toBe(code);
  expect(outcome.reason).toEqual(expect.any(String));
  expect(outcome.debitBalanceAfter).toBeNull();
}

function balanceOf(batch: LedgerBatch, id: string): bigint | undefined {
  const a = batch.changedAccounts().find((x) => x.id === id);
  return a === undefined ? undefined : a.totals.creditsPosted - a.totals.debitsPosted;
}

/** A transfer recorded by an earlier batch, as the repository would load it. */
function recorded(
  batch: LedgerBatch,
  request: TransferRequest,
): { known: KnownTransfer; result: TransferResult } {
  const result = batch.apply(request);
  const lifecycle = batch.lifecycleOf(request.transferId) ?? NO_LIFECYCLE;
  return { known: { record: outcomeOf(result), lifecycle }, result };
}

describe('LedgerBatch: plain transfers', () => {
  it('posts one debit and one credit entry with the balances after them', () => {
    const batch = newBatch();
    const r = req({ amountMinor: 250n });
    const result = batch.apply(r);

    expect(result.disposition).toBe('APPLIED');
    const outcome = outcomeOf(result);
    expect(outcome).toMatchObject({
      transferId: r.transferId,
      kind: 'TRANSFER',
      status: 'POSTED',
      code: null,
      debitAccountId: 'alice',
      creditAccountId: 'bob',
      amountMinor: 250n,
      currency: 'USD',
      sourceSystem: 'checkout',
      requestEventId: r.requestEventId,
      decidedAt: NOW,
      fingerprint: transferFingerprint(r),
    });
    expect(outcome.debitBalanceAfter).toEqual({
      postedMinor: 750n,
      pendingDebitsMinor: 0n,
      pendingCreditsMinor: 0n,
      availableMinor: 750n,
    });
    expect(outcome.creditBalanceAfter?.postedMinor).toBe(250n);
    expect(batch.entries).toEqual([
      {
        accountId: 'alice',
        seq: 1n,
        transferId: r.transferId,
        side: 'DEBIT',
        amountMinor: 250n,
        balanceAfterMinor: 750n,
        postedAt: NOW,
      },
      {
        accountId: 'bob',
        seq: 1n,
        transferId: r.transferId,
        side: 'CREDIT',
        amountMinor: 250n,
        balanceAfterMinor: 250n,
        postedAt: NOW,
      },
    ]);
    expect(batch.changedAccounts().map((a) => a.id)).toEqual(['alice', 'bob']);
    expect(batch.records).toEqual([outcome]);
  });

  it('evaluates requests in order, each seeing the effects of the ones before it', () => {
    const batch = newBatch();
    const first = batch.apply(req({ amountMinor: 600n }));
    const second = batch.apply(req({ amountMinor: 600n }));
    const third = batch.apply(req({ amountMinor: 400n }));

    expect(outcomeOf(first).status).toBe('POSTED');
    expectRejected(second, LedgerCode.INSUFFICIENT_FUNDS);
    expect(outcomeOf(third).status).toBe('POSTED');
    expect(balanceOf(batch, 'alice')).toBe(0n);
    expect(balanceOf(batch, 'bob')).toBe(1000n);
    // The rejected request wrote no entries; sequences stay gapless.
    expect(batch.entries.filter((e) => e.accountId === 'alice').map((e) => e.seq)).toEqual([
      1n,
      2n,
    ]);
  });

  it('lets an unbounded account go negative', () => {
    const batch = newBatch();
    const outcome = outcomeOf(
      batch.apply(req({ debitAccountId: 'world', amountMinor: 1_000_000n })),
    );
    expect(outcome.status).toBe('POSTED');
    expect(outcome.debitBalanceAfter?.postedMinor).toBe(-1_000_000n);
  });

  it('lets an account with an overdraft limit go negative down to the limit', () => {
    const batch = newBatch();
    expect(outcomeOf(batch.apply(req({ debitAccountId: 'carol', amountMinor: 800n }))).status).toBe(
      'POSTED',
    );
    expect(balanceOf(batch, 'carol')).toBe(-300n);
    expectRejected(
      batch.apply(req({ debitAccountId: 'carol', amountMinor: 1n })),
      LedgerCode.INSUFFICIENT_FUNDS,
    );
  });

  it.each([
    ['zero amount', { amountMinor: 0n }, LedgerCode.INVALID_AMOUNT],
    ['negative amount', { amountMinor: -5n }, LedgerCode.INVALID_AMOUNT],
    [
      'amount above the maximum (2^53 - 2)',
      { amountMinor: MAX_AMOUNT_MINOR + 1n },
      LedgerCode.AMOUNT_OUT_OF_RANGE,
    ],
    ['same account', { creditAccountId: 'alice' }, LedgerCode.SAME_ACCOUNT],
    ['unknown debit account', { debitAccountId: 'nobody' }, LedgerCode.ACCOUNT_NOT_FOUND],
    ['unknown credit account', { creditAccountId: 'nobody' }, LedgerCode.ACCOUNT_NOT_FOUND],
    ['closed debit account', { debitAccountId: 'closed' }, LedgerCode.ACCOUNT_CLOSED],
    ['closed credit account', { creditAccountId: 'closed' }, LedgerCode.ACCOUNT_CLOSED],
    ['request currency differs', { currency: 'EUR' }, LedgerCode.CURRENCY_MISMATCH],
    ['account currencies differ', { creditAccountId: 'euro' }, LedgerCode.CURRENCY_MISMATCH],
    ['insufficient funds', { amountMinor: 1001n }, LedgerCode.INSUFFICIENT_FUNDS],
    [
      'upper bound exceeded',
      { debitAccountId: 'world', creditAccountId: 'capped', amountMinor: 1001n },
      LedgerCode.BOUND_EXCEEDED,
    ],
    ['timeout on a plain transfer', { timeoutSeconds: 30 }, LedgerCode.INVALID_TIMEOUT],
  ] as const)('rejects %s', (_name, overrides, code) => {
    const batch = newBatch();
    const r = req(overrides);
    const result = batch.apply(r);
    expectRejected(result, code);
    // A rejection keeps the request as it was asked, and changes nothing.
    expect(outcomeOf(result)).toMatchObject({
      debitAccountId: r.debitAccountId,
      creditAccountId: r.creditAccountId,
      amountMinor: r.amountMinor,
      currency: r.currency,
      decidedAt: NOW,
    });
    expect(batch.entries).toEqual([]);
    expect(batch.changedAccounts()).toEqual([]);
  });

  it('accepts the maximum amount (2^53 - 2) and the upper bound exactly', () => {
    const big = newBatch([account('world', { min: null }), account('big')]);
    const r = req({
      debitAccountId: 'world',
      creditAccountId: 'big',
      amountMinor: MAX_AMOUNT_MINOR,
    });
    expect(outcomeOf(big.apply(r)).status).toBe('POSTED');
    const capped = newBatch([account('world', { min: null }), account('capped', { max: 1000n })]);
    const c = req({ debitAccountId: 'world', creditAccountId: 'capped', amountMinor: 1000n });
    expect(outcomeOf(capped.apply(c)).status).toBe('POSTED');
  });

  it('rejects with OVERFLOW a transfer that would push a balance beyond the maximum', () => {
    const batch = newBatch([
      account('world', { min: null }),
      account('big', { balance: MAX_AMOUNT_MINOR - 10n }),
    ]);
    expectRejected(
      batch.apply(req({ debitAccountId: 'world', creditAccountId: 'big', amountMinor: 11n })),
      LedgerCode.OVERFLOW,
    );
    const deep = newBatch([
      account('sink', { min: null, balance: -(MAX_AMOUNT_MINOR - 1n) }),
      account('bob'),
    ]);
    expectRejected(
      deep.apply(req({ debitAccountId: 'sink', creditAccountId: 'bob', amountMinor: 2n })),
      LedgerCode.OVERFLOW,
    );
  });

  it('does not let a rejected request disturb its neighbours', () => {
    const batch = newBatch();
    const results = [
      batch.apply(req({ amountMinor: 100n })),
      batch.apply(req({ creditAccountId: 'nobody' })),
      batch.apply(req({ amountMinor: 100n })),
    ];
    expect(results.map((r) => outcomeOf(r).status)).toEqual(['POSTED', 'REJECTED', 'POSTED']);
    expect(balanceOf(batch, 'alice')).toBe(800n);
    expect(batch.records).toHaveLength(3);
  });
});

describe('LedgerBatch: idempotency', () => {
  it('replays the original outcome for the same id and body within a batch', () => {
    const batch = newBatch();
    const r = req();
    const first = batch.apply(r);
    // A re-delivery carries a new event id and timestamp: still the same request.
    const again = batch.apply({ ...r, requestEventId: nextId(), requestedAt: new Date() });
    expect(again).toEqual({ disposition: 'DUPLICATE', outcome: outcomeOf(first) });
    expect(batch.records).toHaveLength(1);
    expect(batch.entries).toHaveLength(2);
    expect(balanceOf(batch, 'alice')).toBe(900n);
  });

  it('refuses the same id with a different body as IDEMPOTENCY_CONFLICT, recording nothing', () => {
    const batch = newBatch();
    const r = req();
    const first = batch.apply(r);
    const conflict = batch.apply({ ...r, amountMinor: 101n });
    expect(conflict).toEqual({
      disposition: 'CONFLICT',
      code: LedgerCode.IDEMPOTENCY_CONFLICT,
      reason: expect.stringContaining(r.transferId) as string,
      original: outcomeOf(first),
    });
    expect(batch.records).toHaveLength(1);
    expect(balanceOf(batch, 'alice')).toBe(900n);
  });

  it('replays outcomes recorded by earlier batches, including rejections', () => {
    const earlier = newBatch();
    const posted = recorded(earlier, req());
    const rejected = recorded(earlier, req({ amountMinor: 5000n }));
    expect(rejected.known.record.code).toBe(LedgerCode.INSUFFICIENT_FUNDS);

    // Alice now has plenty, yet the rejected id stays rejected: the first outcome is final.
    const batch = newBatch(
      [account('alice', { balance: 1_000_000n }), account('bob')],
      [posted.known, rejected.known],
    );
    const replayPosted = batch.apply({ ...req(), ...pick(posted.known.record) });
    const replayRejected = batch.apply({ ...req(), ...pick(rejected.known.record) });
    expect(replayPosted).toEqual({ disposition: 'DUPLICATE', outcome: posted.known.record });
    expect(replayRejected).toEqual({ disposition: 'DUPLICATE', outcome: rejected.known.record });
    expect(batch.records).toEqual([]);
    expect(batch.changedAccounts()).toEqual([]);

    const conflict = batch.apply({ ...req(), ...pick(posted.known.record), amountMinor: 1n });
    expect(conflict.disposition).toBe('CONFLICT');
  });
});

/** The request fields of a recorded transfer, to re-send it. */
function pick(r: TransferRecord): Partial<TransferRequest> {
  return {
    transferId: r.transferId,
    kind: r.kind,
    debitAccountId: r.debitAccountId,
    creditAccountId: r.creditAccountId,
    amountMinor: r.amountMinor,
    currency: r.currency,
    relatedTransferId: r.relatedTransferId,
    timeoutSeconds: r.timeoutSeconds,
    sourceSystem: r.sourceSystem,
    description: r.description,
    metadata: r.metadata,
  };
}

describe('LedgerBatch: pending (two-phase) transfers', () => {
  it('reserves without posting: available drops, posted stays, no entries', () => {
    const batch = newBatch();
    const r = req({ kind: 'PENDING', amountMinor: 300n, timeoutSeconds: 60 });
    const outcome = outcomeOf(batch.apply(r));
    expect(outcome.status).toBe('PENDING');
    expect(outcome.expiresAt).toEqual(new Date(NOW.getTime() + 60_000));
    expect(outcome.debitBalanceAfter).toEqual({
      postedMinor: 1000n,
      pendingDebitsMinor: 300n,
      pendingCreditsMinor: 0n,
      availableMinor: 700n,
    });
    expect(outcome.creditBalanceAfter).toMatchObject({
      postedMinor: 0n,
      pendingCreditsMinor: 300n,
    });
    expect(batch.entries).toEqual([]);
    expect(batch.lifecycleOf(r.transferId)?.pendingState).toBe('PENDING');
  });

  it('never expires a reservation without a timeout (null or 0)', () => {
    const batch = newBatch();
    expect(
      outcomeOf(batch.apply(req({ kind: 'PENDING', timeoutSeconds: 0 }))).expiresAt,
    ).toBeNull();
    expect(outcomeOf(batch.apply(req({ kind: 'PENDING' }))).expiresAt).toBeNull();
  });

  it('counts reservations against the available balance of the debit account', () => {
    const batch = newBatch();
    outcomeOf(batch.apply(req({ kind: 'PENDING', amountMinor: 800n })));
    expectRejected(batch.apply(req({ amountMinor: 201n })), LedgerCode.INSUFFICIENT_FUNDS);
    expectRejected(
      batch.apply(req({ kind: 'PENDING', amountMinor: 201n })),
      LedgerCode.INSUFFICIENT_FUNDS,
    );
    expect(outcomeOf(batch.apply(req({ amountMinor: 200n }))).status).toBe('POSTED');
  });

  it('counts incoming reservations toward the upper bound of the credit account', () => {
    const batch = newBatch();
    const reserve = req({
      kind: 'PENDING',
      debitAccountId: 'world',
      creditAccountId: 'capped',
      amountMinor: 900n,
    });
    expect(outcomeOf(batch.apply(reserve)).status).toBe('PENDING');
    expectRejected(
      batch.apply(req({ debitAccountId: 'world', creditAccountId: 'capped', amountMinor: 101n })),
      LedgerCode.BOUND_EXCEEDED,
    );
  });

  it('rejects a negative timeout', () => {
    expectRejected(
      newBatch().apply(req({ kind: 'PENDING', timeoutSeconds: -1 })),
      LedgerCode.INVALID_TIMEOUT,
    );
  });

  it('posts the full pending amount when the post amount is 0', () => {
    const batch = newBatch();
    const p = req({ kind: 'PENDING', amountMinor: 300n });
    batch.apply(p);
    const post = req({
      kind: 'POST_PENDING',
      relatedTransferId: p.transferId,
      amountMinor: 0n,
      debitAccountId: '',
      creditAccountId: '',
    });
    const outcome = outcomeOf(batch.apply(post));
    expect(outcome).toMatchObject({
      status: 'POSTED',
      kind: 'POST_PENDING',
      amountMinor: 300n,
      debitAccountId: 'alice',
      creditAccountId: 'bob',
      relatedTransferId: p.transferId,
    });
    expect(outcome.debitBalanceAfter).toEqual({
      postedMinor: 700n,
      pendingDebitsMinor: 0n,
      pendingCreditsMinor: 0n,
      availableMinor: 700n,
    });
    expect(batch.entries.map((e) => [e.accountId, e.side, e.amountMinor])).toEqual([
      ['alice', 'DEBIT', 300n],
      ['bob', 'CREDIT', 300n],
    ]);
    expect(batch.lifecycleOf(p.transferId)).toMatchObject({
      pendingState: 'POSTED',
      settledByTransferId: post.transferId,
    });
    // Created and settled in the same batch: the reservation row is written once, settled.
    expect(batch.pendingStateChanges()).toEqual([]);
  });

  it('posts part of a reservation and releases the rest', () => {
    const batch = newBatch();
    const p = req({ kind: 'PENDING', amountMinor: 300n });
    batch.apply(p);
    const outcome = outcomeOf(
      batch.apply(
        req({ kind: 'POST_PENDING', relatedTransferId: p.transferId, amountMinor: 120n }),
      ),
    );
    expect(outcome.amountMinor).toBe(120n);
    expect(outcome.debitBalanceAfter).toEqual({
      postedMinor: 880n,
      pendingDebitsMinor: 0n,
      pendingCreditsMinor: 0n,
      availableMinor: 880n,
    });
    expect(outcome.creditBalanceAfter?.postedMinor).toBe(120n);
  });

  it('voids a reservation, releasing it without entries, even on a closed account', () => {
    const accounts = standardAccounts();
    const earlier = newBatch(accounts);
    const p = recorded(earlier, req({ kind: 'PENDING', amountMinor: 300n }));
    const after = earlier.changedAccounts();
    const alice = after.find((a) => a.id === 'alice');
    if (alice === undefined) throw new Error('alice missing');
    const batch = newBatch(
      [{ ...alice, status: 'CLOSED' }, ...after.filter((a) => a.id !== 'alice')],
      [p.known],
    );
    const v = req({
      kind: 'VOID_PENDING',
      relatedTransferId: p.known.record.transferId,
      amountMinor: 300n,
    });
    const outcome = outcomeOf(batch.apply(v));
    expect(outcome).toMatchObject({ status: 'VOIDED', kind: 'VOID_PENDING', amountMinor: 300n });
    expect(outcome.debitBalanceAfter).toEqual({
      postedMinor: 1000n,
      pendingDebitsMinor: 0n,
      pendingCreditsMinor: 0n,
      availableMinor: 1000n,
    });
    expect(batch.entries).toEqual([]);
    expect(batch.pendingStateChanges()).toEqual([
      {
        transferId: p.known.record.transferId,
        state: 'VOIDED',
        settledByTransferId: v.transferId,
        at: NOW,
      },
    ]);
  });

  it('refuses to post a reservation on a closed account', () => {
    const earlier = newBatch();
    const p = recorded(earlier, req({ kind: 'PENDING', amountMinor: 300n }));
    const after = earlier
      .changedAccounts()
      .map((a) => (a.id === 'bob' ? { ...a, status: 'CLOSED' as const } : a));
    const batch = newBatch(after, [p.known]);
    expectRejected(
      batch.apply(
        req({
          kind: 'POST_PENDING',
          relatedTransferId: p.known.record.transferId,
          amountMinor: 0n,
        }),
      ),
      LedgerCode.ACCOUNT_CLOSED,
    );
  });

  describe('settlement rejections', () => {
    function withPending(amount = 300n, timeoutSeconds: number | null = 60) {
      const batch = newBatch();
      const p = req({ kind: 'PENDING', amountMinor: amount, timeoutSeconds });
      batch.apply(p);
      return { batch, pendingId: p.transferId };
    }

    it('POST_EXCEEDS_PENDING', () => {
      const { batch, pendingId } = withPending();
      expectRejected(
        batch.apply(req({ kind: 'POST_PENDING', relatedTransferId: pendingId, amountMinor: 301n })),
        LedgerCode.POST_EXCEEDS_PENDING,
      );
    });

    it('VOID_AMOUNT_MISMATCH', () => {
      const { batch, pendingId } = withPending();
      expectRejected(
        batch.apply(req({ kind: 'VOID_PENDING', relatedTransferId: pendingId, amountMinor: 5n })),
        LedgerCode.VOID_AMOUNT_MISMATCH,
      );
      expect(
        outcomeOf(
          batch.apply(req({ kind: 'VOID_PENDING', relatedTransferId: pendingId, amountMinor: 0n })),
        ).status,
      ).toBe('VOIDED');
    });

    it('PENDING_NOT_FOUND for an unknown id, a rejected reservation, or the request itself', () => {
      const { batch } = withPending();
      expectRejected(
        batch.apply(req({ kind: 'POST_PENDING', relatedTransferId: nextId() })),
        LedgerCode.PENDING_NOT_FOUND,
      );
      const failed = req({ kind: 'PENDING', amountMinor: 999_999n });
      expectRejected(batch.apply(failed), LedgerCode.INSUFFICIENT_FUNDS);
      expectRejected(
        batch.apply(
          req({ kind: 'VOID_PENDING', relatedTransferId: failed.transferId, amountMinor: 0n }),
        ),
        LedgerCode.PENDING_NOT_FOUND,
      );
      const self = nextId();
      expectRejected(
        batch.apply(req({ transferId: self, kind: 'POST_PENDING', relatedTransferId: self })),
        LedgerCode.PENDING_NOT_FOUND,
      );
    });

    it('NOT_A_PENDING_TRANSFER', () => {
      const batch = newBatch();
      const plain = req();
      batch.apply(plain);
      expectRejected(
        batch.apply(req({ kind: 'POST_PENDING', relatedTransferId: plain.transferId })),
        LedgerCode.NOT_A_PENDING_TRANSFER,
      );
    });

    it('PENDING_ALREADY_SETTLED after a post or a void', () => {
      const { batch, pendingId } = withPending();
      batch.apply(req({ kind: 'POST_PENDING', relatedTransferId: pendingId, amountMinor: 100n }));
      expectRejected(
        batch.apply(req({ kind: 'POST_PENDING', relatedTransferId: pendingId, amountMinor: 100n })),
        LedgerCode.PENDING_ALREADY_SETTLED,
      );
      const second = withPending();
      second.batch.apply(
        req({ kind: 'VOID_PENDING', relatedTransferId: second.pendingId, amountMinor: 0n }),
      );
      expectRejected(
        second.batch.apply(
          req({ kind: 'VOID_PENDING', relatedTransferId: second.pendingId, amountMinor: 0n }),
        ),
        LedgerCode.PENDING_ALREADY_SETTLED,
      );
    });

    it('PENDING_EXPIRED once the deadline passed, even before the expiry sweep ran', () => {
      const earlier = newBatch();
      const p = recorded(earlier, req({ kind: 'PENDING', amountMinor: 300n, timeoutSeconds: 60 }));
      const later = new Date(NOW.getTime() + 60_000);
      const batch = newBatch(earlier.changedAccounts(), [p.known], later);
      expectRejected(
        batch.apply(
          req({
            kind: 'POST_PENDING',
            relatedTransferId: p.known.record.transferId,
            amountMinor: 0n,
          }),
        ),
        LedgerCode.PENDING_EXPIRED,
      );
      const expired = newBatch(earlier.changedAccounts(), [
        { ...p.known, lifecycle: { ...p.known.lifecycle, pendingState: 'EXPIRED' } },
      ]);
      expectRejected(
        expired.apply(
          req({
            kind: 'VOID_PENDING',
            relatedTransferId: p.known.record.transferId,
            amountMinor: 0n,
          }),
        ),
        LedgerCode.PENDING_EXPIRED,
      );
    });

    it('RELATED_TRANSFER_REQUIRED', () => {
      for (const kind of ['POST_PENDING', 'VOID_PENDING', 'REVERSAL'] as const) {
        expectRejected(
          newBatch().apply(req({ kind, relatedTransferId: null })),
          LedgerCode.RELATED_TRANSFER_REQUIRED,
        );
      }
    });

    it('CURRENCY_MISMATCH when the request names another currency; empty means "the same"', () => {
      const { batch, pendingId } = withPending();
      expectRejected(
        batch.apply(req({ kind: 'POST_PENDING', relatedTransferId: pendingId, currency: 'EUR' })),
        LedgerCode.CURRENCY_MISMATCH,
      );
      expect(
        outcomeOf(
          batch.apply(
            req({
              kind: 'POST_PENDING',
              relatedTransferId: pendingId,
              currency: '',
              amountMinor: 0n,
            }),
          ),
        ).currency,
      ).toBe('USD');
    });

    it('INVALID_AMOUNT, AMOUNT_OUT_OF_RANGE and INVALID_TIMEOUT on settlements', () => {
      const { batch, pendingId } = withPending();
      expectRejected(
        batch.apply(req({ kind: 'POST_PENDING', relatedTransferId: pendingId, amountMinor: -1n })),
        LedgerCode.INVALID_AMOUNT,
      );
      expectRejected(
        batch.apply(
          req({
            kind: 'POST_PENDING',
            relatedTransferId: pendingId,
            amountMinor: MAX_AMOUNT_MINOR + 1n,
          }),
        ),
        LedgerCode.AMOUNT_OUT_OF_RANGE,
      );
      expectRejected(
        batch.apply(req({ kind: 'VOID_PENDING', relatedTransferId: pendingId, timeoutSeconds: 5 })),
        LedgerCode.INVALID_TIMEOUT,
      );
    });
  });
});

describe('LedgerBatch: expiry', () => {
  function recordedPending(timeoutSeconds = 60) {
    const earlier = newBatch();
    const p = recorded(earlier, req({ kind: 'PENDING', amountMinor: 300n, timeoutSeconds }));
    return { accounts: earlier.changedAccounts(), known: p.known };
  }

  it('releases a reservation whose deadline passed', () => {
    const { accounts, known } = recordedPending();
    const at = new Date(NOW.getTime() + 60_000);
    const batch = newBatch(accounts, [known], at);
    const expiration = batch.expire(known.record.transferId);
    expect(expiration).toEqual({
      pending: known.record,
      debitBalanceAfter: {
        postedMinor: 1000n,
        pendingDebitsMinor: 0n,
        pendingCreditsMinor: 0n,
        availableMinor: 1000n,
      },
      creditBalanceAfter: {
        postedMinor: 0n,
        pendingDebitsMinor: 0n,
        pendingCreditsMinor: 0n,
        availableMinor: 0n,
      },
      expiredAt: at,
    });
    expect(batch.pendingStateChanges()).toEqual([
      { transferId: known.record.transferId, state: 'EXPIRED', settledByTransferId: null, at },
    ]);
    expect(batch.expirations).toHaveLength(1);
    // Expiring twice does nothing the second time.
    expect(batch.expire(known.record.transferId)).toBeUndefined();
  });

  it('leaves alone reservations not yet due, settled, unknown or without a deadline', () => {
    const { accounts, known } = recordedPending();
    expect(
      newBatch(accounts, [known], new Date(NOW.getTime() + 59_999)).expire(known.record.transferId),
    ).toBeUndefined();
    const posted = { ...known, lifecycle: { ...known.lifecycle, pendingState: 'POSTED' as const } };
    expect(
      newBatch(accounts, [posted], new Date(NOW.getTime() + 120_000)).expire(
        known.record.transferId,
      ),
    ).toBeUndefined();
    expect(newBatch(accounts, [], NOW).expire(nextId())).toBeUndefined();
    const forever = recordedPending(0);
    expect(
      newBatch(forever.accounts, [forever.known], new Date(8.64e15)).expire(
        forever.known.record.transferId,
      ),
    ).toBeUndefined();
  });
});

describe('LedgerBatch: reversals', () => {
  function withPosting(amount = 400n) {
    const earlier = newBatch();
    const t = recorded(earlier, req({ amountMinor: amount }));
    return { accounts: earlier.changedAccounts(), known: t.known, id: t.known.record.transferId };
  }

  it('posts the full correcting transfer when the amount is 0', () => {
    const { accounts, known, id } = withPosting();
    const batch = newBatch(accounts, [known]);
    const outcome = outcomeOf(
      batch.apply(req({ kind: 'REVERSAL', relatedTransferId: id, amountMinor: 0n })),
    );
    expect(outcome).toMatchObject({
      status: 'POSTED',
      kind: 'REVERSAL',
      debitAccountId: 'bob',
      creditAccountId: 'alice',
      amountMinor: 400n,
      relatedTransferId: id,
    });
    expect(batch.entries.map((e) => [e.accountId, e.side, e.balanceAfterMinor])).toEqual([
      ['bob', 'DEBIT', 0n],
      ['alice', 'CREDIT', 1000n],
    ]);
    expect(batch.lifecycleOf(id)?.reversedMinor).toBe(400n);
    expectRejected(
      batch.apply(req({ kind: 'REVERSAL', relatedTransferId: id, amountMinor: 0n })),
      LedgerCode.ALREADY_REVERSED,
    );
  });

  it('reverses in parts, never more than the original', () => {
    const { accounts, known, id } = withPosting();
    const batch = newBatch(accounts, [known]);
    expect(
      outcomeOf(batch.apply(req({ kind: 'REVERSAL', relatedTransferId: id, amountMinor: 150n })))
        .status,
    ).toBe('POSTED');
    expectRejected(
      batch.apply(req({ kind: 'REVERSAL', relatedTransferId: id, amountMinor: 251n })),
      LedgerCode.REVERSAL_EXCEEDS_ORIGINAL,
    );
    expect(
      outcomeOf(batch.apply(req({ kind: 'REVERSAL', relatedTransferId: id, amountMinor: 0n })))
        .amountMinor,
    ).toBe(250n);
  });

  it('honours what earlier batches already reversed', () => {
    const { accounts, known, id } = withPosting();
    const batch = newBatch(accounts, [
      { ...known, lifecycle: { ...known.lifecycle, reversedMinor: 400n } },
    ]);
    expectRejected(
      batch.apply(req({ kind: 'REVERSAL', relatedTransferId: id })),
      LedgerCode.ALREADY_REVERSED,
    );
  });

  it('checks bounds: the credited account may have spent the money', () => {
    const { accounts, known, id } = withPosting();
    const spent = accounts.map((a) =>
      a.id === 'bob' ? { ...a, totals: { ...a.totals, debitsPosted: 300n } } : a,
    );
    const batch = newBatch(spent, [known]);
    expectRejected(
      batch.apply(req({ kind: 'REVERSAL', relatedTransferId: id, amountMinor: 0n })),
      LedgerCode.INSUFFICIENT_FUNDS,
    );
  });

  it('reverses a posted pending transfer', () => {
    const batch = newBatch();
    const p = req({ kind: 'PENDING', amountMinor: 300n });
    batch.apply(p);
    const post = req({ kind: 'POST_PENDING', relatedTransferId: p.transferId, amountMinor: 200n });
    batch.apply(post);
    const outcome = outcomeOf(
      batch.apply(req({ kind: 'REVERSAL', relatedTransferId: post.transferId, amountMinor: 0n })),
    );
    expect(outcome.amountMinor).toBe(200n);
    expect(balanceOf(batch, 'alice')).toBe(1000n);
  });

  it.each([
    ['an unknown transfer', 'unknown', LedgerCode.REVERSAL_TARGET_NOT_FOUND],
    ['a rejected transfer', 'rejected', LedgerCode.REVERSAL_TARGET_NOT_POSTED],
    ['a reservation', 'pending', LedgerCode.REVERSAL_TARGET_NOT_POSTED],
    ['a reversal', 'reversal', LedgerCode.CANNOT_REVERSE_REVERSAL],
    ['itself', 'self', LedgerCode.REVERSAL_TARGET_NOT_FOUND],
  ] as const)('refuses to reverse %s', (_name, target, code) => {
    const batch = newBatch();
    let relatedId = nextId();
    const transferId = nextId();
    if (target === 'rejected') {
      const r = req({ amountMinor: 999_999n });
      batch.apply(r);
      relatedId = r.transferId;
    } else if (target === 'pending') {
      const r = req({ kind: 'PENDING' });
      batch.apply(r);
      relatedId = r.transferId;
    } else if (target === 'reversal') {
      const t = req();
      batch.apply(t);
      const rev = req({ kind: 'REVERSAL', relatedTransferId: t.transferId, amountMinor: 0n });
      batch.apply(rev);
      relatedId = rev.transferId;
    } else if (target === 'self') {
      relatedId = transferId;
    }
    expectRejected(
      batch.apply(req({ transferId, kind: 'REVERSAL', relatedTransferId: relatedId })),
      code,
    );
  });

  it('rejects reversals with a foreign currency, a negative or oversized amount, or a closed account', () => {
    const { accounts, known, id } = withPosting();
    const batch = newBatch(accounts, [known]);
    expectRejected(
      batch.apply(req({ kind: 'REVERSAL', relatedTransferId: id, currency: 'EUR' })),
      LedgerCode.CURRENCY_MISMATCH,
    );
    expectRejected(
      batch.apply(req({ kind: 'REVERSAL', relatedTransferId: id, amountMinor: -1n })),
      LedgerCode.INVALID_AMOUNT,
    );
    expectRejected(
      batch.apply(
        req({ kind: 'REVERSAL', relatedTransferId: id, amountMinor: MAX_AMOUNT_MINOR + 1n }),
      ),
      LedgerCode.AMOUNT_OUT_OF_RANGE,
    );
    const closed = newBatch(
      accounts.map((a) => (a.id === 'alice' ? { ...a, status: 'CLOSED' as const } : a)),
      [known],
    );
    expectRejected(
      closed.apply(req({ kind: 'REVERSAL', relatedTransferId: id })),
      LedgerCode.ACCOUNT_CLOSED,
    );
  });
});

describe('LedgerBatch: invariants under random traffic', () => {
  /** Small deterministic PRNG (mulberry32) so a failure is reproducible. */
  function prng(seed: number): () => number {
    let a = seed;
    return () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it.each([1, 2, 3, 4, 5])('keeps money conserved and bounds respected (seed %i)', (seed) => {
    const rnd = prng(seed);
    const ids = ['world', 'a', 'b', 'c', 'd', 'capped', 'overdraft'];
    const accounts = [
      account('world', { min: null }),
      account('a'),
      account('b'),
      account('c'),
      account('d'),
      account('capped', { max: 5000n }),
      account('overdraft', { min: -2000n }),
    ];
    const batch = newBatch(accounts);
    const accepted: TransferRecord[] = [];
    const choose = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    for (let i = 0; i < 3000; i++) {
      const dice = rnd();
      const related = accepted.length > 0 ? choose(accepted) : undefined;
      let r: TransferRequest;
      if (dice < 0.5 || related === undefined) {
        r = req({
          debitAccountId: choose(ids),
          creditAccountId: choose(ids),
          amountMinor: BigInt(Math.floor(rnd() * 3000) - 100),
        });
      } else if (dice < 0.7) {
        r = req({
          kind: 'PENDING',
          debitAccountId: choose(ids),
          creditAccountId: choose(ids),
          amountMinor: BigInt(Math.floor(rnd() * 3000)),
          timeoutSeconds: 60,
        });
      } else if (dice < 0.8) {
        r = req({
          kind: 'POST_PENDING',
          relatedTransferId: related.transferId,
          amountMinor: BigInt(Math.floor(rnd() * 3000)),
        });
      } else if (dice < 0.9) {
        r = req({ kind: 'VOID_PENDING', relatedTransferId: related.transferId, amountMinor: 0n });
      } else {
        r = req({
          kind: 'REVERSAL',
          relatedTransferId: related.transferId,
          amountMinor: BigInt(Math.floor(rnd() * 1000)),
        });
      }
      const result = batch.apply(r);
      const outcome = outcomeOf(result);
      if (outcome.status !== 'REJECTED') accepted.push(outcome);
    }
    const final = batch.changedAccounts();
    const posted = final.reduce(
      (sum, a) => sum + a.totals.creditsPosted - a.totals.debitsPosted,
      0n,
    );
    const pendingDebits = final.reduce((sum, a) => sum + a.totals.debitsPending, 0n);
    const pendingCredits = final.reduce((sum, a) => sum + a.totals.creditsPending, 0n);
    expect(posted).toBe(0n);
    expect(pendingDebits).toBe(pendingCredits);
    for (const a of final) {
      expect(withinBounds(a, a.totals)).toBe(true);
      const own = batch.entries.filter((e) => e.accountId === a.id);
      expect(own.map((e) => e.seq)).toEqual(own.map((_, i) => BigInt(i + 1)));
      expect(own[own.length - 1]?.balanceAfterMinor ?? 0n).toBe(
        a.totals.creditsPosted - a.totals.debitsPosted,
      );
    }
    const debits = batch.entries
      .filter((e) => e.side === 'DEBIT')
      .reduce((s, e) => s + e.amountMinor, 0n);
    const credits = batch.entries
      .filter((e) => e.side === 'CREDIT')
      .reduce((s, e) => s + e.amountMinor, 0n);
    expect(debits).toBe(credits);
    expect(accepted.length).toBeGreaterThan(500);
  });
});
