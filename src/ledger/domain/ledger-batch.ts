import {
  availableBalance,
  inboundCeilingBalance,
  postedBalance,
  snapshotOf,
  type AccountState,
  type BalanceSnapshot,
  type BalanceTotals,
} from './account.js';
import { transferFingerprint } from './fingerprint.js';
import { formatMinor, INT64_MAX, MAX_AMOUNT_MINOR } from './money.js';
import { LedgerCode, type Rejection, type TransferRejectionCode } from './result-codes.js';
import {
  NO_LIFECYCLE,
  type EntryRecord,
  type KnownTransfer,
  type PendingState,
  type TransferLifecycle,
  type TransferRecord,
  type TransferRequest,
  type TransferResult,
} from './transfer.js';

/** What the ledger knows when it starts evaluating a batch. */
export interface LedgerBatchInput {
  /**
   * Every account the batch may touch, with its totals as of now. The caller holds these
   * accounts' locks, so nobody else changes them until the batch is written.
   */
  readonly accounts: Iterable<AccountState>;
  /**
   * Transfers already decided that the batch refers to: earlier outcomes of the batch's own ids
   * (for replays) and the transfers named by `relatedTransferId`, with a lifecycle read after the
   * locks were granted.
   */
  readonly known: Iterable<KnownTransfer>;
  /** The batch's time: outcomes are stamped with it and expiry deadlines compared against it. */
  readonly now: Date;
}

/** A reservation released because its timeout passed. */
export interface Expiration {
  readonly pending: TransferRecord;
  readonly debitBalanceAfter: BalanceSnapshot;
  readonly creditBalanceAfter: BalanceSnapshot;
  readonly expiredAt: Date;
}

/** A change of reservation state to persist for a PENDING transfer recorded before the batch. */
export interface PendingStateChange {
  readonly transferId: string;
  readonly state: Exclude<PendingState, 'PENDING'>;
  readonly settledByTransferId: string | null;
  readonly at: Date;
}

type Decision =
  | Rejection<TransferRejectionCode>
  | {
      readonly code: null;
      readonly status: 'POSTED' | 'PENDING' | 'VOIDED';
      readonly debit: AccountState;
      readonly credit: AccountState;
      readonly amountMinor: bigint;
      readonly currency: string;
      /** Applies the effects; only called once every check passed. */
      readonly apply: () => void;
    };

/**
 * Evaluates transfer requests one after the other against in-memory balances, the way a single
 * TigerBeetle batch does: each request sees the effects of the ones before it, a rejected request
 * changes nothing, and the output is the set of rows to write (outcomes, journal entries, new
 * totals, reservation changes). Pure: no I/O, no clock, deterministic for a given input.
 */
export class LedgerBatch {
  private readonly accounts = new Map<string, AccountState>();
  private readonly known = new Map<string, KnownTransfer>();
  private readonly touched = new Set<string>();
  private readonly recordedBefore = new Set<string>();
  private readonly pendingChanges = new Map<string, PendingStateChange>();
  private readonly now: Date;

  /** Outcomes decided in this batch, in decision order (one per new transfer id). */
  readonly records: TransferRecord[] = [];
  /** Journal lines of this batch, in order. */
  readonly entries: EntryRecord[] = [];
  /** Reservations released by `expire`, in order. */
  readonly expirations: Expiration[] = [];

  constructor(input: LedgerBatchInput) {
    this.now = input.now;
    for (const a of input.accounts) {
      this.accounts.set(a.id, { ...a, totals: { ...a.totals } });
    }
    for (const k of input.known) {
      this.known.set(k.record.transferId, k);
      this.recordedBefore.add(k.record.transferId);
    }
  }

  /**
   * Decides one request (or recognises it as a replay) and records its effects in memory.
   * `fingerprint` may be passed when already computed (the repository hashes requests before it
   * takes any lock); it must be `transferFingerprint(request)`.
   */
  apply(request: TransferRequest, fingerprint = transferFingerprint(request)): TransferResult {
    const earlier = this.known.get(request.transferId);
    if (earlier !== undefined) {
      if (earlier.record.fingerprint === fingerprint) {
        return { disposition: 'DUPLICATE', outcome: earlier.record };
      }
      return {
        disposition: 'CONFLICT',
        code: LedgerCode.IDEMPOTENCY_CONFLICT,
        reason: `transfer id ${request.transferId} was already used for a different request`,
        original: earlier.record,
      };
    }

    const decision = this.decide(request);
    let record: TransferRecord;
    if (decision.code !== null) {
      record = {
        transferId: request.transferId,
        kind: request.kind,
        status: 'REJECTED',
        code: decision.code,
        reason: decision.reason,
        fingerprint,
        debitAccountId: request.debitAccountId,
        creditAccountId: request.creditAccountId,
        amountMinor: request.amountMinor,
        currency: request.currency,
        relatedTransferId: request.relatedTransferId,
        debitBalanceAfter: null,
        creditBalanceAfter: null,
        timeoutSeconds: request.timeoutSeconds,
        expiresAt: null,
        sourceSystem: request.sourceSystem,
        requestEventId: request.requestEventId,
        requestedAt: request.requestedAt,
        decidedAt: this.now,
        description: request.description,
        metadata: request.metadata,
      };
    } else {
      decision.apply();
      const timeout = request.timeoutSeconds ?? 0;
      record = {
        transferId: request.transferId,
        kind: request.kind,
        status: decision.status,
        code: null,
        reason: null,
        fingerprint,
        debitAccountId: decision.debit.id,
        creditAccountId: decision.credit.id,
        amountMinor: decision.amountMinor,
        currency: decision.currency,
        relatedTransferId: request.relatedTransferId,
        debitBalanceAfter: snapshotOf(decision.debit.totals),
        creditBalanceAfter: snapshotOf(decision.credit.totals),
        timeoutSeconds: request.timeoutSeconds,
        expiresAt:
          decision.status === 'PENDING' && timeout > 0
            ? new Date(this.now.getTime() + timeout * 1000)
            : null,
        sourceSystem: request.sourceSystem,
        requestEventId: request.requestEventId,
        requestedAt: request.requestedAt,
        decidedAt: this.now,
        description: request.description,
        metadata: request.metadata,
      };
      if (decision.status === 'POSTED') {
        this.journal(record, decision.debit, decision.credit);
      }
    }
    this.records.push(record);
    this.known.set(record.transferId, {
      record,
      lifecycle:
        record.status === 'PENDING' ? { ...NO_LIFECYCLE, pendingState: 'PENDING' } : NO_LIFECYCLE,
    });
    return { disposition: 'APPLIED', outcome: record };
  }

  /**
   * Releases the reservation of pending transfer `transferId` if it is still pending and its
   * deadline has passed (TigerBeetle's expiry). Returns undefined, changing nothing, otherwise —
   * e.g. when it was posted or voided since it was picked.
   */
  expire(transferId: string): Expiration | undefined {
    const known = this.known.get(transferId);
    if (known === undefined) return undefined;
    const { record, lifecycle } = known;
    if (record.status !== 'PENDING' || lifecycle.pendingState !== 'PENDING') return undefined;
    if (record.expiresAt === null || record.expiresAt.getTime() > this.now.getTime()) {
      return undefined;
    }
    const debit = this.accounts.get(record.debitAccountId);
    const credit = this.accounts.get(record.creditAccountId);
    if (debit === undefined || credit === undefined) {
      throw new Error(`accounts of pending transfer ${transferId} were not loaded`);
    }
    this.release(debit, credit, record.amountMinor);
    this.settle(transferId, 'EXPIRED', null);
    const expiration: Expiration = {
      pending: record,
      debitBalanceAfter: snapshotOf(debit.totals),
      creditBalanceAfter: snapshotOf(credit.totals),
      expiredAt: this.now,
    };
    this.expirations.push(expiration);
    return expiration;
  }

  /** Accounts whose totals changed, with their totals and last entry number after the batch. */
  changedAccounts(): AccountState[] {
    return [...this.touched].sort().map((id) => this.account(id));
  }

  /** Reservation state changes of PENDING transfers recorded before this batch. */
  pendingStateChanges(): PendingStateChange[] {
    return [...this.pendingChanges.values()];
  }

  /** Current lifecycle of a transfer known to the batch (recorded before or decided in it). */
  lifecycleOf(transferId: string): TransferLifecycle | undefined {
    return this.known.get(transferId)?.lifecycle;
  }

  private decide(r: TransferRequest): Decision {
    switch (r.kind) {
      case 'TRANSFER':
      case 'PENDING':
        return this.decideMovement(r);
      case 'POST_PENDING':
      case 'VOID_PENDING':
        return this.decideSettlement(r);
      case 'REVERSAL':
        return this.decideReversal(r);
    }
  }

  /** TRANSFER posts now; PENDING reserves (counts against available, toward the upper bound). */
  private decideMovement(r: TransferRequest): Decision {
    const pending = r.kind === 'PENDING';
    const timeout = r.timeoutSeconds;
    if (pending && timeout !== null && timeout < 0) {
      return reject(LedgerCode.INVALID_TIMEOUT, 'timeoutSeconds must be >= 0 (0 = never)');
    }
    if (!pending && timeout !== null && timeout !== 0) {
      return reject(LedgerCode.INVALID_TIMEOUT, 'only PENDING transfers take a timeout');
    }
    if (r.amountMinor <= 0n) {
      return reject(LedgerCode.INVALID_AMOUNT, `amount must be > 0, got ${r.amountMinor}`);
    }
    if (r.amountMinor > MAX_AMOUNT_MINOR) {
      return reject(
        LedgerCode.AMOUNT_OUT_OF_RANGE,
        `amount ${r.amountMinor} exceeds the maximum ${MAX_AMOUNT_MINOR}`,
      );
    }
    if (r.debitAccountId === r.creditAccountId) {
      return reject(LedgerCode.SAME_ACCOUNT, 'debit and credit account are the same');
    }
    const pair = this.openPair(r.debitAccountId, r.creditAccountId);
    if ('code' in pair) return pair;
    const { debit, credit } = pair;
    if (debit.currency !== r.currency || credit.currency !== r.currency) {
      return reject(
        LedgerCode.CURRENCY_MISMATCH,
        `transfer in ${r.currency} between accounts in ${debit.currency} and ${credit.currency}`,
      );
    }
    const amount = r.amountMinor;
    const debitAfter = pending
      ? { ...debit.totals, debitsPending: debit.totals.debitsPending + amount }
      : { ...debit.totals, debitsPosted: debit.totals.debitsPosted + amount };
    const creditAfter = pending
      ? { ...credit.totals, creditsPending: credit.totals.creditsPending + amount }
      : { ...credit.totals, creditsPosted: credit.totals.creditsPosted + amount };
    const limits = this.checkLimits(debit, debitAfter, credit, creditAfter, amount);
    if (limits !== undefined) return limits;
    return {
      code: null,
      status: pending ? 'PENDING' : 'POSTED',
      debit,
      credit,
      amountMinor: amount,
      currency: r.currency,
      apply: () => this.commit(debit, debitAfter, credit, creditAfter),
    };
  }

  /** POST_PENDING (full or partial) and VOID_PENDING of a reservation. */
  private decideSettlement(r: TransferRequest): Decision {
    const posting = r.kind === 'POST_PENDING';
    const common = this.checkRelatedRequest(r);
    if (common !== undefined) return common;
    if (r.amountMinor < 0n) {
      return reject(LedgerCode.INVALID_AMOUNT, `amount must be >= 0, got ${r.amountMinor}`);
    }
    if (r.amountMinor > MAX_AMOUNT_MINOR) {
      return reject(
        LedgerCode.AMOUNT_OUT_OF_RANGE,
        `amount ${r.amountMinor} exceeds the maximum ${MAX_AMOUNT_MINOR}`,
      );
    }
    const relatedId = r.relatedTransferId ?? '';
    const target = this.known.get(relatedId);
    if (target === undefined || target.record.status === 'REJECTED') {
      return reject(LedgerCode.PENDING_NOT_FOUND, `no pending transfer ${relatedId}`);
    }
    const p = target.record;
    if (p.kind !== 'PENDING') {
      return reject(
        LedgerCode.NOT_A_PENDING_TRANSFER,
        `transfer ${relatedId} is a ${p.kind}, not a PENDING transfer`,
      );
    }
    const state = target.lifecycle.pendingState;
    if (state === 'POSTED' || state === 'VOIDED') {
      return reject(
        LedgerCode.PENDING_ALREADY_SETTLED,
        `pending transfer ${relatedId} was already ${state === 'POSTED' ? 'posted' : 'voided'}`,
      );
    }
    if (
      state === 'EXPIRED' ||
      (p.expiresAt !== null && p.expiresAt.getTime() <= this.now.getTime())
    ) {
      return reject(LedgerCode.PENDING_EXPIRED, `pending transfer ${relatedId} has expired`);
    }
    if (r.currency !== '' && r.currency !== p.currency) {
      return reject(
        LedgerCode.CURRENCY_MISMATCH,
        `request in ${r.currency} settles a pending transfer in ${p.currency}`,
      );
    }
    const debit = this.accounts.get(p.debitAccountId);
    const credit = this.accounts.get(p.creditAccountId);
    if (debit === undefined || credit === undefined) {
      return reject(LedgerCode.ACCOUNT_NOT_FOUND, `accounts of ${relatedId} are not available`);
    }
    const reserved = p.amountMinor;
    if (!posting) {
      if (r.amountMinor !== 0n && r.amountMinor !== reserved) {
        return reject(
          LedgerCode.VOID_AMOUNT_MISMATCH,
          `void amount must be 0 or the pending amount ${reserved}, got ${r.amountMinor}`,
        );
      }
      // Voiding only releases a reservation, so it is allowed on closed accounts.
      return {
        code: null,
        status: 'VOIDED',
        debit,
        credit,
        amountMinor: reserved,
        currency: p.currency,
        apply: () => {
          this.release(debit, credit, reserved);
          this.settle(relatedId, 'VOIDED', r.transferId);
        },
      };
    }
    const closed = this.closedOf(debit, credit);
    if (closed !== undefined) return closed;
    const amount = r.amountMinor === 0n ? reserved : r.amountMinor;
    if (amount > reserved) {
      return reject(
        LedgerCode.POST_EXCEEDS_PENDING,
        `post of ${amount} exceeds the pending amount ${reserved}`,
      );
    }
    const debitAfter = {
      ...debit.totals,
      debitsPending: debit.totals.debitsPending - reserved,
      debitsPosted: debit.totals.debitsPosted + amount,
    };
    const creditAfter = {
      ...credit.totals,
      creditsPending: credit.totals.creditsPending - reserved,
      creditsPosted: credit.totals.creditsPosted + amount,
    };
    // Posting at most the reserved amount can only loosen both bounds; only overflow can fail.
    const overflow = overflowOf(debit, debitAfter) ?? overflowOf(credit, creditAfter);
    if (overflow !== undefined) return overflow;
    return {
      code: null,
      status: 'POSTED',
      debit,
      credit,
      amountMinor: amount,
      currency: p.currency,
      apply: () => {
        this.commit(debit, debitAfter, credit, creditAfter);
        this.settle(relatedId, 'POSTED', r.transferId);
      },
    };
  }

  /** REVERSAL: posts a correcting transfer (credit back to debit) for all or part of a posting. */
  private decideReversal(r: TransferRequest): Decision {
    const common = this.checkRelatedRequest(r);
    if (common !== undefined) return common;
    if (r.amountMinor < 0n) {
      return reject(LedgerCode.INVALID_AMOUNT, `amount must be >= 0, got ${r.amountMinor}`);
    }
    if (r.amountMinor > MAX_AMOUNT_MINOR) {
      return reject(
        LedgerCode.AMOUNT_OUT_OF_RANGE,
        `amount ${r.amountMinor} exceeds the maximum ${MAX_AMOUNT_MINOR}`,
      );
    }
    const relatedId = r.relatedTransferId ?? '';
    const target = this.known.get(relatedId);
    if (target === undefined) {
      return reject(LedgerCode.REVERSAL_TARGET_NOT_FOUND, `no transfer ${relatedId}`);
    }
    const t = target.record;
    if (t.kind === 'REVERSAL') {
      return reject(
        LedgerCode.CANNOT_REVERSE_REVERSAL,
        `transfer ${relatedId} is itself a reversal; post a new transfer instead`,
      );
    }
    if (t.status !== 'POSTED') {
      return reject(
        LedgerCode.REVERSAL_TARGET_NOT_POSTED,
        `transfer ${relatedId} moved no posted money (it is ${t.kind} ${t.status})`,
      );
    }
    const remaining = t.amountMinor - target.lifecycle.reversedMinor;
    if (remaining <= 0n) {
      return reject(LedgerCode.ALREADY_REVERSED, `transfer ${relatedId} is fully reversed`);
    }
    const amount = r.amountMinor === 0n ? remaining : r.amountMinor;
    if (amount > remaining) {
      return reject(
        LedgerCode.REVERSAL_EXCEEDS_ORIGINAL,
        `reversal of ${amount} exceeds the ${remaining} left to reverse of ${relatedId}`,
      );
    }
    if (r.currency !== '' && r.currency !== t.currency) {
      return reject(
        LedgerCode.CURRENCY_MISMATCH,
        `request in ${r.currency} reverses a transfer in ${t.currency}`,
      );
    }
    // Money goes back: the original credit account is debited.
    const pair = this.openPair(t.creditAccountId, t.debitAccountId);
    if ('code' in pair) return pair;
    const { debit, credit } = pair;
    const debitAfter = { ...debit.totals, debitsPosted: debit.totals.debitsPosted + amount };
    const creditAfter = { ...credit.totals, creditsPosted: credit.totals.creditsPosted + amount };
    const limits = this.checkLimits(debit, debitAfter, credit, creditAfter, amount);
    if (limits !== undefined) return limits;
    return {
      code: null,
      status: 'POSTED',
      debit,
      credit,
      amountMinor: amount,
      currency: t.currency,
      apply: () => {
        this.commit(debit, debitAfter, credit, creditAfter);
        this.known.set(relatedId, {
          record: t,
          lifecycle: {
            ...target.lifecycle,
            reversedMinor: target.lifecycle.reversedMinor + amount,
          },
        });
      },
    };
  }

  private checkRelatedRequest(r: TransferRequest): Rejection<TransferRejectionCode> | undefined {
    if (r.timeoutSeconds !== null && r.timeoutSeconds !== 0) {
      return reject(LedgerCode.INVALID_TIMEOUT, 'only PENDING transfers take a timeout');
    }
    if (r.relatedTransferId === null) {
      return reject(
        LedgerCode.RELATED_TRANSFER_REQUIRED,
        `${r.kind} needs relatedTransferId (the transfer it acts on)`,
      );
    }
    if (r.relatedTransferId === r.transferId) {
      return reject(
        r.kind === 'REVERSAL' ? LedgerCode.REVERSAL_TARGET_NOT_FOUND : LedgerCode.PENDING_NOT_FOUND,
        'a transfer cannot act on itself',
      );
    }
    return undefined;
  }

  private openPair(
    debitId: string,
    creditId: string,
  ): { debit: AccountState; credit: AccountState } | Rejection<TransferRejectionCode> {
    const debit = this.accounts.get(debitId);
    if (debit === undefined) {
      return reject(LedgerCode.ACCOUNT_NOT_FOUND, `debit account ${debitId} does not exist`);
    }
    const credit = this.accounts.get(creditId);
    if (credit === undefined) {
      return reject(LedgerCode.ACCOUNT_NOT_FOUND, `credit account ${creditId} does not exist`);
    }
    return this.closedOf(debit, credit) ?? { debit, credit };
  }

  private closedOf(
    debit: AccountState,
    credit: AccountState,
  ): Rejection<TransferRejectionCode> | undefined {
    for (const a of [debit, credit]) {
      if (a.status === 'CLOSED') {
        return reject(LedgerCode.ACCOUNT_CLOSED, `account ${a.id} is closed`);
      }
    }
    return undefined;
  }

  /**
   * Representability first (totals fit in a bigint column, balances in an event's long), then
   * the bounds: the debited account's available balance must stay >= its lower bound, the
   * credited account's balance including incoming reservations <= its upper bound.
   */
  private checkLimits(
    debit: AccountState,
    debitAfter: BalanceTotals,
    credit: AccountState,
    creditAfter: BalanceTotals,
    amount: bigint,
  ): Rejection<TransferRejectionCode> | undefined {
    const overflow = overflowOf(debit, debitAfter) ?? overflowOf(credit, creditAfter);
    if (overflow !== undefined) return overflow;
    const available = availableBalance(debitAfter);
    if (debit.minBalanceMinor !== null && available < debit.minBalanceMinor) {
      return reject(
        LedgerCode.INSUFFICIENT_FUNDS,
        `account ${debit.id} has ${formatMinor(available + amount, debit.scale)} ` +
          `${debit.currency} available and a lower bound of ` +
          `${formatMinor(debit.minBalanceMinor, debit.scale)}: cannot debit ` +
          `${formatMinor(amount, debit.scale)}`,
      );
    }
    const ceiling = inboundCeilingBalance(creditAfter);
    if (credit.maxBalanceMinor !== null && ceiling > credit.maxBalanceMinor) {
      return reject(
        LedgerCode.BOUND_EXCEEDED,
        `account ${credit.id} would hold ${formatMinor(ceiling, credit.scale)} ${credit.currency}, ` +
          `above its limit ${formatMinor(credit.maxBalanceMinor, credit.scale)}`,
      );
    }
    return undefined;
  }

  private commit(
    debit: AccountState,
    debitAfter: BalanceTotals,
    credit: AccountState,
    creditAfter: BalanceTotals,
  ): void {
    Object.assign(debit.totals, debitAfter);
    Object.assign(credit.totals, creditAfter);
    this.touched.add(debit.id);
    this.touched.add(credit.id);
  }

  private release(debit: AccountState, credit: AccountState, amount: bigint): void {
    debit.totals.debitsPending -= amount;
    credit.totals.creditsPending -= amount;
    this.touched.add(debit.id);
    this.touched.add(credit.id);
  }

  private settle(
    pendingId: string,
    state: Exclude<PendingState, 'PENDING'>,
    settledBy: string | null,
  ): void {
    const target = this.known.get(pendingId);
    if (target === undefined) throw new Error(`unknown pending transfer ${pendingId}`);
    this.known.set(pendingId, {
      record: target.record,
      lifecycle: { ...target.lifecycle, pendingState: state, settledByTransferId: settledBy },
    });
    if (this.recordedBefore.has(pendingId)) {
      this.pendingChanges.set(pendingId, {
        transferId: pendingId,
        state,
        settledByTransferId: settledBy,
        at: this.now,
      });
    }
  }

  private journal(record: TransferRecord, debit: AccountState, credit: AccountState): void {
    debit.lastSeq += 1n;
    this.entries.push({
      accountId: debit.id,
      seq: debit.lastSeq,
      transferId: record.transferId,
      side: 'DEBIT',
      amountMinor: record.amountMinor,
      balanceAfterMinor: postedBalance(debit.totals),
      postedAt: this.now,
    });
    credit.lastSeq += 1n;
    this.entries.push({
      accountId: credit.id,
      seq: credit.lastSeq,
      transferId: record.transferId,
      side: 'CREDIT',
      amountMinor: record.amountMinor,
      balanceAfterMinor: postedBalance(credit.totals),
      postedAt: this.now,
    });
  }

  private account(id: string): AccountState {
    const a = this.accounts.get(id);
    if (a === undefined) throw new Error(`account ${id} is not in the batch`);
    return a;
  }
}

function reject(code: TransferRejectionCode, reason: string): Rejection<TransferRejectionCode> {
  return { code, reason };
}

/** Totals must fit PostgreSQL bigint; balances must fit an Avro long read as a JS number. */
function overflowOf(
  account: AccountState,
  t: BalanceTotals,
): Rejection<TransferRejectionCode> | undefined {
  const totalsFit =
    t.debitsPosted <= INT64_MAX &&
    t.creditsPosted <= INT64_MAX &&
    t.debitsPending <= INT64_MAX &&
    t.creditsPending <= INT64_MAX;
  const balances = [postedBalance(t), availableBalance(t), inboundCeilingBalance(t)];
  const balancesFit = balances.every((b) => b <= MAX_AMOUNT_MINOR && b >= -MAX_AMOUNT_MINOR);
  if (totalsFit && balancesFit) return undefined;
  return reject(
    LedgerCode.OVERFLOW,
    `account ${account.id} would exceed the largest representable balance (±${MAX_AMOUNT_MINOR})`,
  );
}
