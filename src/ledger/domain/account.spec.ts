import {
  availableBalance,
  inboundCeilingBalance,
  postedBalance,
  sameAccountTerms,
  snapshotOf,
  validateNewAccount,
  withinBounds,
  type AccountSpec,
} from './account.js';
import { MAX_AMOUNT_MINOR } from './money.js';
import { LedgerCode } from './result-codes.js';

function spec(result: ReturnType<typeof validateNewAccount>): AccountSpec {
  if ('code' in result) throw new Error(`unexpected rejection ${result.code}`);
  return result;
}

describe('validateNewAccount', () => {
  it('fills in safe defaults: no overdraft, no upper limit, ISO scale, open', () => {
    expect(spec(validateNewAccount({ id: 'alice', currency: 'JPY', sourceSystem: 'crm' }))).toEqual(
      {
        id: 'alice',
        currency: 'JPY',
        scale: 0,
        status: 'OPEN',
        minBalanceMinor: 0n,
        maxBalanceMinor: null,
        description: null,
        metadata: {},
        sourceSystem: 'crm',
      },
    );
  });

  it('takes null as "unbounded" and explicit bounds', () => {
    const s = spec(
      validateNewAccount({
        id: 'funding',
        currency: 'USD',
        minBalanceMinor: null,
        maxBalanceMinor: 10_000n,
        sourceSystem: 'crm',
      }),
    );
    expect([s.minBalanceMinor, s.maxBalanceMinor]).toEqual([null, 10_000n]);
  });

  it.each([
    ['an empty id', { id: '' }, LedgerCode.INVALID_ACCOUNT_ID],
    ['an id with spaces', { id: 'a b' }, LedgerCode.INVALID_ACCOUNT_ID],
    ['an over-long id', { id: 'x'.repeat(129) }, LedgerCode.INVALID_ACCOUNT_ID],
    ['a lower-case currency', { currency: 'usd' }, LedgerCode.INVALID_CURRENCY],
    ['a bad scale', { scale: 19 }, LedgerCode.INVALID_CURRENCY],
    ['a positive lower bound', { minBalanceMinor: 1n }, LedgerCode.INVALID_BOUNDS],
    ['a negative upper bound', { maxBalanceMinor: -1n }, LedgerCode.INVALID_BOUNDS],
    [
      'an unrepresentable bound',
      { minBalanceMinor: -MAX_AMOUNT_MINOR - 1n },
      LedgerCode.INVALID_BOUNDS,
    ],
    ['no source system', { sourceSystem: '' }, LedgerCode.INVALID_SOURCE_SYSTEM],
  ] as const)('rejects %s', (_name, change, code) => {
    const result = validateNewAccount({
      id: 'alice',
      currency: 'USD',
      sourceSystem: 'crm',
      ...change,
    });
    expect(result).toEqual({ code, reason: expect.any(String) as string });
  });

  it('compares terms for idempotent creation, ignoring description and metadata', () => {
    const a = spec(validateNewAccount({ id: 'a', currency: 'USD', sourceSystem: 'crm' }));
    const b = spec(
      validateNewAccount({ id: 'a', currency: 'USD', sourceSystem: 'x', description: 'other' }),
    );
    expect(sameAccountTerms(a, b)).toBe(true);
    expect(sameAccountTerms(a, { ...b, maxBalanceMinor: 5n })).toBe(false);
    expect(sameAccountTerms(a, { ...b, currency: 'EUR' })).toBe(false);
  });
});

describe('balances', () => {
  const totals = {
    debitsPosted: 300n,
    creditsPosted: 1000n,
    debitsPending: 200n,
    creditsPending: 50n,
  };

  it('derives posted, available and ceiling balances (credits minus debits)', () => {
    expect(postedBalance(totals)).toBe(700n);
    expect(availableBalance(totals)).toBe(500n);
    expect(inboundCeilingBalance(totals)).toBe(750n);
    expect(snapshotOf(totals)).toEqual({
      postedMinor: 700n,
      pendingDebitsMinor: 200n,
      pendingCreditsMinor: 50n,
      availableMinor: 500n,
    });
  });

  it('checks both bounds', () => {
    const account = spec(
      validateNewAccount({ id: 'a', currency: 'USD', maxBalanceMinor: 750n, sourceSystem: 'crm' }),
    );
    expect(withinBounds(account, totals)).toBe(true);
    expect(withinBounds(account, { ...totals, creditsPending: 51n })).toBe(false);
    expect(withinBounds(account, { ...totals, debitsPending: 701n })).toBe(false);
  });
});
