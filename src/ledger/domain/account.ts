import { LedgerCode, type AccountRejectionCode, type Rejection } from './result-codes.js';
import { currencyScale, isCurrencyCode, MAX_AMOUNT_MINOR } from './money.js';

/**
 * Accounts and their balances. The sign convention is the one the event contract uses: the
 * (posted) balance of an account is its credits minus its debits, so money arriving (a credit)
 * raises it and money leaving (a debit) lowers it.
 */
export type AccountStatus = 'OPEN' | 'CLOSED';

export interface Account {
  readonly id: string;
  /** ISO 4217 code; every transfer touching the account must be in this currency. */
  readonly currency: string;
  /** Minor-unit digits of the currency (2 for USD), for display. */
  readonly scale: number;
  readonly status: AccountStatus;
  /**
   * Lowest available balance allowed; null means unbounded (e.g. a funding source that may go
   * negative). 0 means "no overdraft"; a negative number is an overdraft limit.
   */
  readonly minBalanceMinor: bigint | null;
  /** Highest balance (including incoming reservations) allowed; null means no upper limit. */
  readonly maxBalanceMinor: bigint | null;
}

/** Running totals of an account, as TigerBeetle keeps them. */
export interface BalanceTotals {
  debitsPosted: bigint;
  creditsPosted: bigint;
  /** Reserved by pending transfers debiting the account: counts against what it can spend. */
  debitsPending: bigint;
  /** Reserved by pending transfers crediting the account: counts toward its upper bound. */
  creditsPending: bigint;
}

/** An account with its totals as the ledger holds them while it evaluates a batch. */
export interface AccountState extends Account {
  readonly totals: BalanceTotals;
  /** Sequence number of the account's last entry (0 before the first). */
  lastSeq: bigint;
}

/** Balances after a write, as returned to the caller (Modern Treasury style). */
export interface BalanceSnapshot {
  /** Credits minus debits of posted entries. */
  readonly postedMinor: bigint;
  readonly pendingDebitsMinor: bigint;
  readonly pendingCreditsMinor: bigint;
  /** What the account can still spend: posted minus pending debits. */
  readonly availableMinor: bigint;
}

export function zeroTotals(): BalanceTotals {
  return { debitsPosted: 0n, creditsPosted: 0n, debitsPending: 0n, creditsPending: 0n };
}

export function postedBalance(t: BalanceTotals): bigint {
  return t.creditsPosted - t.debitsPosted;
}

export function availableBalance(t: BalanceTotals): bigint {
  return t.creditsPosted - t.debitsPosted - t.debitsPending;
}

/** The balance the upper bound is checked against: incoming reservations count as arrived. */
export function inboundCeilingBalance(t: BalanceTotals): bigint {
  return t.creditsPosted + t.creditsPending - t.debitsPosted;
}

export function snapshotOf(t: BalanceTotals): BalanceSnapshot {
  return {
    postedMinor: postedBalance(t),
    pendingDebitsMinor: t.debitsPending,
    pendingCreditsMinor: t.creditsPending,
    availableMinor: availableBalance(t),
  };
}

/** True when the account's balances satisfy its bounds (an invariant the ledger preserves). */
export function withinBounds(account: Account, t: BalanceTotals): boolean {
  if (account.minBalanceMinor !== null && availableBalance(t) < account.minBalanceMinor) {
    return false;
  }
  if (account.maxBalanceMinor !== null && inboundCeilingBalance(t) > account.maxBalanceMinor) {
    return false;
  }
  return true;
}

/** What a caller asks for when opening an account. */
export interface NewAccount {
  readonly id: string;
  readonly currency: string;
  /** Defaults to the currency's ISO 4217 minor-unit digits. */
  readonly scale?: number;
  /**
   * Lower bound of the available balance. Omitted means 0 (the safe default for a customer
   * account: it cannot spend money it does not have); null means unbounded.
   */
  readonly minBalanceMinor?: bigint | null;
  /** Upper bound of the balance; omitted or null means none. */
  readonly maxBalanceMinor?: bigint | null;
  readonly description?: string | null;
  readonly metadata?: Readonly<Record<string, string>>;
  /** Audit: which system asked. */
  readonly sourceSystem: string;
}

/** A validated account creation with every default filled in. */
export interface AccountSpec extends Account {
  readonly description: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly sourceSystem: string;
}

/** Account ids are caller-chosen: 1-128 visible ASCII characters, no spaces. */
export function isAccountId(id: string): boolean {
  return /^[\x21-\x7e]{1,128}$/.test(id);
}

export function validateNewAccount(
  input: NewAccount,
): AccountSpec | Rejection<AccountRejectionCode> {
  if (!isAccountId(input.id)) {
    return {
      code: LedgerCode.INVALID_ACCOUNT_ID,
      reason: 'account id must be 1-128 visible ASCII characters without spaces',
    };
  }
  if (!isCurrencyCode(input.currency)) {
    return {
      code: LedgerCode.INVALID_CURRENCY,
      reason: `currency "${input.currency}" is not an ISO 4217 code (three upper-case letters)`,
    };
  }
  const scale = input.scale ?? currencyScale(input.currency);
  if (!Number.isInteger(scale) || scale < 0 || scale > 18) {
    return { code: LedgerCode.INVALID_CURRENCY, reason: `scale ${scale} is not in 0..18` };
  }
  const min = input.minBalanceMinor === undefined ? 0n : input.minBalanceMinor;
  const max = input.maxBalanceMinor ?? null;
  const limit = MAX_AMOUNT_MINOR;
  if (min !== null && (min > 0n || min < -limit)) {
    return {
      code: LedgerCode.INVALID_BOUNDS,
      reason: `minBalanceMinor must be between -${limit} and 0 so a new account starts within it`,
    };
  }
  if (max !== null && (max < 0n || max > limit)) {
    return {
      code: LedgerCode.INVALID_BOUNDS,
      reason: `maxBalanceMinor must be between 0 and ${limit} so a new account starts within it`,
    };
  }
  if (input.sourceSystem.length === 0 || input.sourceSystem.length > 128) {
    return {
      code: LedgerCode.INVALID_SOURCE_SYSTEM,
      reason: 'sourceSystem must be 1-128 characters',
    };
  }
  return {
    id: input.id,
    currency: input.currency,
    scale,
    status: 'OPEN',
    minBalanceMinor: min,
    maxBalanceMinor: max,
    description: input.description ?? null,
    metadata: input.metadata ?? {},
    sourceSystem: input.sourceSystem,
  };
}

/**
 * Account creation is idempotent on the id: creating an account that exists with the same
 * currency and bounds is a no-op success; with different ones it is ACCOUNT_EXISTS.
 */
export function sameAccountTerms(a: Account, b: Account): boolean {
  return (
    a.currency === b.currency &&
    a.scale === b.scale &&
    a.minBalanceMinor === b.minBalanceMinor &&
    a.maxBalanceMinor === b.maxBalanceMinor
  );
}
