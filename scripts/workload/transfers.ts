import { randomUUID } from 'node:crypto';
import { type TransferRequested } from '../../src/platform/schemas/generated.js';
import { type Rng } from './random.js';

/** An account the workload opens (through the ledger's HTTP API or its repository). */
export interface WorkloadAccount {
  readonly id: string;
  readonly currency: string;
  /** null: unbounded (the funding source); 0: cannot go negative. */
  readonly minBalanceMinor: 0 | null;
  readonly role: 'funding' | 'merchant' | 'customer';
}

export const WORKLOAD_CURRENCIES = ['USD', 'EUR', 'BRL'] as const;

/**
 * Per currency: one funding account (unbounded: the bank's side), one merchant that many
 * customers pay (a hot account), and `customersPerCurrency` customers that cannot overdraw.
 * Ids are stable for a prefix, so runs build on each other's balances.
 */
export function planAccounts(prefix: string, customersPerCurrency: number): WorkloadAccount[] {
  const out: WorkloadAccount[] = [];
  for (const currency of WORKLOAD_CURRENCIES) {
    const c = currency.toLowerCase();
    out.push({ id: `${prefix}-funding-${c}`, currency, minBalanceMinor: null, role: 'funding' });
    out.push({ id: `${prefix}-merchant-${c}`, currency, minBalanceMinor: 0, role: 'merchant' });
    for (let i = 1; i <= customersPerCurrency; i++) {
      out.push({
        id: `${prefix}-customer-${c}-${String(i).padStart(4, '0')}`,
        currency,
        minBalanceMinor: 0,
        role: 'customer',
      });
    }
  }
  return out;
}

/** What a generated request is meant to exercise (the ledger decides the actual outcome). */
export type TransferIntent =
  | 'funding'
  | 'payment'
  | 'p2p'
  | 'refund'
  | 'pending'
  | 'settle'
  | 'duplicate'
  | 'conflict'
  | 'invalid';

/** Invalid on purpose; `malformed` is structurally broken (the ledger dead-letters it). */
export type InvalidReason =
  'unknown_account' | 'same_account' | 'currency_mismatch' | 'non_positive_amount' | 'malformed';

export interface GeneratedTransfer {
  readonly intent: TransferIntent;
  readonly invalidReason?: InvalidReason;
  readonly value: TransferRequested;
}

export interface TransferMix {
  /** Share of requests invalid on purpose (default 0.08). */
  readonly invalidShare: number;
  /** Share that repeats an earlier request unchanged, as a retrying upstream would (0.05). */
  readonly duplicateShare: number;
  /** Share that reuses an earlier transfer id with another body (0.01). */
  readonly conflictShare: number;
  /** Share of two-phase reservations, each settled (posted or voided) later (0.04). */
  readonly pendingShare: number;
}

export const DEFAULT_TRANSFER_MIX: TransferMix = {
  invalidShare: 0.08,
  duplicateShare: 0.05,
  conflictShare: 0.01,
  pendingShare: 0.04,
};

const RECENT = 2000;
/** Amount each customer receives from its funding account at the start (100,000.00). */
const FUNDING_MINOR = 10_000_000;

/**
 * Produces realistic transfer requests among the planned accounts: first a funding transfer per
 * customer, then payments to the merchant, transfers between customers, refunds, two-phase
 * reservations and their settlement, and the configured shares of invalid, duplicate and
 * conflicting requests. Insufficient funds happen naturally as balances move.
 */
export class TransferGenerator {
  private readonly byCurrency = new Map<
    string,
    { funding: string; merchant: string; customers: string[] }
  >();
  private readonly fundingQueue: TransferRequested[] = [];
  private readonly recent: TransferRequested[] = [];
  private readonly pending: TransferRequested[] = [];

  constructor(
    accounts: readonly WorkloadAccount[],
    private readonly rng: Rng,
    private readonly mix: TransferMix = DEFAULT_TRANSFER_MIX,
    private readonly now: () => number = Date.now,
  ) {
    for (const a of accounts) {
      const entry = this.byCurrency.get(a.currency) ?? { funding: '', merchant: '', customers: [] };
      if (a.role === 'funding') entry.funding = a.id;
      else if (a.role === 'merchant') entry.merchant = a.id;
      else entry.customers.push(a.id);
      this.byCurrency.set(a.currency, entry);
    }
    for (const [currency, e] of this.byCurrency) {
      if (!e.funding || !e.merchant || e.customers.length < 2) {
        throw new Error(
          `currency ${currency} needs a funding, a merchant and two customer accounts`,
        );
      }
      for (const customer of e.customers) {
        this.fundingQueue.push(
          this.request('TRANSFER', e.funding, customer, FUNDING_MINOR, currency, 'back-office'),
        );
      }
    }
  }

  /** Funding transfers still to send (they go first). */
  get fundingLeft(): number {
    return this.fundingQueue.length;
  }

  next(): GeneratedTransfer {
    const funding = this.fundingQueue.shift();
    if (funding) return { intent: 'funding', value: funding };
    const r = this.rng.next();
    const { invalidShare, duplicateShare, conflictShare, pendingShare } = this.mix;
    if (r < invalidShare) return this.invalid();
    if (r < invalidShare + duplicateShare && this.recent.length > 0) {
      // A retry: same id and body; the upstream re-stamps its event id and time.
      const original = this.rng.pick(this.recent);
      return {
        intent: 'duplicate',
        value: { ...original, eventId: randomUUID(), requestedAt: this.now() },
      };
    }
    if (r < invalidShare + duplicateShare + conflictShare && this.recent.length > 0) {
      const original = this.rng.pick(this.recent);
      return {
        intent: 'conflict',
        value: {
          ...original,
          eventId: randomUUID(),
          amountMinor: original.amountMinor + 1,
          requestedAt: this.now(),
        },
      };
    }
    if (this.pending.length > 0 && this.rng.chance(pendingShare)) {
      const reservation = this.pending.shift() as TransferRequested;
      const post = this.rng.chance(0.75);
      return {
        intent: 'settle',
        value: this.remember(
          this.request(
            post ? 'POST_PENDING' : 'VOID_PENDING',
            reservation.debitAccountId,
            reservation.creditAccountId,
            0,
            reservation.currency,
            reservation.sourceSystem,
            reservation.transferId,
          ),
        ),
      };
    }
    const currency = this.rng.pick([...this.byCurrency.keys()]);
    const e = this.byCurrency.get(currency) as {
      funding: string;
      merchant: string;
      customers: string[];
    };
    const customer = this.rng.pick(e.customers);
    if (this.rng.chance(pendingShare)) {
      const hold = this.request(
        'PENDING',
        customer,
        e.merchant,
        this.amount(),
        currency,
        'checkout',
        null,
        3600,
      );
      this.pending.push(hold);
      if (this.pending.length > RECENT) this.pending.shift();
      return { intent: 'pending', value: this.remember(hold) };
    }
    const kind = this.rng.weighted({ payment: 60, p2p: 32, refund: 8 });
    if (kind === 'payment') {
      return {
        intent: 'payment',
        value: this.remember(
          this.request('TRANSFER', customer, e.merchant, this.amount(), currency, 'checkout'),
        ),
      };
    }
    if (kind === 'refund') {
      return {
        intent: 'refund',
        value: this.remember(
          this.request('TRANSFER', e.merchant, customer, this.amount(), currency, 'back-office'),
        ),
      };
    }
    let other = this.rng.pick(e.customers);
    if (other === customer)
      other = e.customers[(e.customers.indexOf(customer) + 1) % e.customers.length] as string;
    return {
      intent: 'p2p',
      value: this.remember(
        this.request('TRANSFER', customer, other, this.amount(), currency, 'p2p'),
      ),
    };
  }

  private invalid(): GeneratedTransfer {
    const currency = this.rng.pick([...this.byCurrency.keys()]);
    const e = this.byCurrency.get(currency) as {
      funding: string;
      merchant: string;
      customers: string[];
    };
    const customer = this.rng.pick(e.customers);
    const reason = this.rng.weighted<InvalidReason>({
      unknown_account: 30,
      same_account: 20,
      currency_mismatch: 20,
      non_positive_amount: 15,
      malformed: 15,
    });
    let value: TransferRequested;
    switch (reason) {
      case 'unknown_account':
        value = this.request(
          'TRANSFER',
          customer,
          `${customer.replace(/-\d+$/, '')}-9${this.rng.int(1000, 9999)}`,
          this.amount(),
          currency,
          'p2p',
        );
        break;
      case 'same_account':
        value = this.request('TRANSFER', customer, customer, this.amount(), currency, 'mobile-app');
        break;
      case 'currency_mismatch': {
        const other = [...this.byCurrency.keys()].find((c) => c !== currency) ?? currency;
        value = this.request('TRANSFER', customer, e.merchant, this.amount(), other, 'checkout');
        break;
      }
      case 'non_positive_amount':
        value = this.request(
          'TRANSFER',
          customer,
          e.merchant,
          -this.rng.int(1, 5000),
          currency,
          'checkout',
        );
        break;
      case 'malformed':
        // Not a UUID: no outcome can be recorded, the ledger dead-letters it (VALIDATION.INVALID).
        value = {
          ...this.request(
            'TRANSFER',
            customer,
            e.merchant,
            this.amount(),
            currency,
            'legacy-batch',
          ),
          transferId: `TX-${this.rng.int(100000, 999999)}`,
        };
        break;
    }
    return { intent: 'invalid', invalidReason: reason, value };
  }

  /** Payment-like amounts: mostly small, a few large (0.50 … 2,500.00). */
  private amount(): number {
    return this.rng.logUniform(50, 250_000);
  }

  private remember(t: TransferRequested): TransferRequested {
    this.recent.push(t);
    if (this.recent.length > RECENT) this.recent.shift();
    return t;
  }

  private request(
    kind: TransferRequested['kind'],
    debit: string,
    credit: string,
    amountMinor: number,
    currency: string,
    sourceSystem: string,
    relatedTransferId: string | null = null,
    timeoutSeconds: number | null = null,
  ): TransferRequested {
    return {
      eventId: randomUUID(),
      transferId: randomUUID(),
      kind,
      debitAccountId: debit,
      creditAccountId: credit,
      amountMinor,
      currency,
      relatedTransferId,
      timeoutSeconds,
      sourceSystem,
      requestedAt: this.now(),
      description: null,
      metadata: { generator: 'streamline-workload' },
    };
  }
}
