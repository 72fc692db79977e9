import { type DataSource, type QueryRunner } from 'typeorm';
import { appendOutbox, type OutboxValueEncoder } from '../platform/outbox/outbox.writer.js';
import {
  sameAccountTerms,
  snapshotOf,
  validateNewAccount,
  type Account,
  type AccountSpec,
  type AccountState,
  type AccountStatus,
  type BalanceSnapshot,
  type NewAccount,
} from './domain/account.js';
import { transferFingerprint } from './domain/fingerprint.js';
import { LedgerBatch } from './domain/ledger-batch.js';
import { isUuid } from './domain/uuid.js';
import { INT64_MAX, minorFromString } from './domain/money.js';
import { checkTransferRequest } from './domain/parse-transfer-request.js';
import {
  LedgerCode,
  type AccountRejectionCode,
  type TransferRejectionCode,
} from './domain/result-codes.js';
import {
  NO_LIFECYCLE,
  type EntryRecord,
  type KnownTransfer,
  type OutcomeStatus,
  type PendingState,
  type TransferKind,
  type TransferLifecycle,
  type TransferRecord,
  type TransferRequest,
  type TransferResult,
} from './domain/transfer.js';
import { LEDGER_SCHEMA } from './ledger.data-source.js';
import { pgArray } from './pg-array.js';
import { expiryMessage, outcomeMessage } from './transfer-events.js';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export interface LedgerRepositoryOptions {
  /**
   * Attempts of one batch when it loses a race that a clean re-run resolves: the same transfer id
   * committed by a concurrent batch (unique violation), a deadlock or serialization failure.
   */
  readonly maxAttempts?: number;
  /**
   * Encodes outcome events as they are written (the service passes one); without it the outbox
   * stores records that the relay encodes (database-only tools and tests).
   */
  readonly encoder?: OutboxValueEncoder;
}

/** Upper bound on requests per `postBatch` call ("put a limit on everything"). */
export const MAX_BATCH_REQUESTS = 10_000;

/** Upper bound on a page of entries. */
export const MAX_ENTRY_PAGE = 1000;

/**
 * A failure of the store, not of a request: the batch was rolled back as a whole and nothing of
 * it is visible. `retriable` says whether running it again may succeed (connection loss, lost
 * race); the Kafka consumer then redelivers without committing offsets — safe, because every
 * request is idempotent on its transfer id.
 */
export class LedgerStoreError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
    readonly sqlState: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'LedgerStoreError';
  }
}

/** The caller broke the repository's contract (unparsed input); a bug, never retried. */
export class LedgerInputError extends Error {
  constructor(
    message: string,
    readonly details: readonly { index: number; field: string; message: string }[],
  ) {
    super(message);
    this.name = 'LedgerInputError';
  }
}

export interface PostBatchResult {
  /** One result per request, in request order. */
  readonly results: readonly TransferResult[];
  /** The batch's time (taken after its account locks were granted); outcomes carry it. */
  readonly decidedAt: Date;
  readonly counts: {
    /** New outcomes recorded: accepted (posted, reserved, voided) or rejected. */
    readonly accepted: number;
    readonly rejected: number;
    /** Replays of an outcome recorded earlier (in the database or earlier in the batch). */
    readonly duplicates: number;
    /** Same transfer id, different body: nothing recorded. */
    readonly conflicts: number;
  };
  /** Events written to the outbox (one per new outcome). */
  readonly eventsWritten: number;
  /** 1 unless the batch lost a race and was re-run. */
  readonly attempts: number;
}

export interface AccountBalance extends BalanceSnapshot {
  readonly debitsPostedMinor: bigint;
  readonly creditsPostedMinor: bigint;
}

export interface AccountView extends Account {
  readonly description: string | null;
  readonly metadata: Readonly<Record<string, string>>;
  readonly balance: AccountBalance;
  /** Number of entries in the account's journal. */
  readonly entryCount: bigint;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly closedBy: string | null;
  readonly closedAt: Date | null;
  readonly updatedAt: Date;
}

export type CreateAccountResult =
  | { readonly accountId: string; readonly status: 'CREATED'; readonly account: AccountView }
  /** The account already existed with the same currency and bounds: nothing changed. */
  | { readonly accountId: string; readonly status: 'EXISTS'; readonly account: AccountView }
  | {
      readonly accountId: string;
      readonly status: 'REJECTED';
      readonly code: AccountRejectionCode;
      readonly reason: string;
    };

export type CloseAccountResult =
  | { readonly status: 'CLOSED'; readonly account: AccountView }
  | {
      readonly status: 'REJECTED';
      readonly code: typeof LedgerCode.ACCOUNT_NOT_FOUND;
      readonly reason: string;
    };

export interface ExpiredReservation {
  readonly transferId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly debitBalanceAfter: BalanceSnapshot;
  readonly creditBalanceAfter: BalanceSnapshot;
}

export interface ExpirePendingResult {
  readonly expired: readonly ExpiredReservation[];
}

export interface BalanceAt {
  readonly accountId: string;
  readonly currency: string;
  readonly scale: number;
  readonly at: Date;
  /** Posted balance (credits - debits) after the last entry posted at or before `at`. */
  readonly postedMinor: bigint;
  /** That entry's sequence number; 0 when the account had no entry yet. */
  readonly entrySeq: bigint;
  readonly entryPostedAt: Date | null;
}

export interface EntryView extends EntryRecord {
  readonly kind: TransferKind;
  /** The other account of the transfer. */
  readonly counterpartyAccountId: string;
  readonly description: string | null;
}

export interface EntryPageRequest {
  /** 1..MAX_ENTRY_PAGE. */
  readonly limit: number;
  /** Cursor from the previous page's `nextCursor`; omitted for the first page. */
  readonly cursor?: string | null;
  /** 'asc' (oldest first, the default) or 'desc' (newest first). */
  readonly order?: 'asc' | 'desc';
}

export interface EntryPage {
  readonly entries: readonly EntryView[];
  /** Pass back to get the next page; null when this page is the last. */
  readonly nextCursor: string | null;
}

export interface TransferView extends TransferRecord {
  /** Accepted PENDING transfers: state of the reservation. Null otherwise. */
  readonly pendingState: PendingState | null;
  readonly settledByTransferId: string | null;
  readonly settledAt: Date | null;
  /** Amount reversed so far by REVERSAL transfers. */
  readonly reversedMinor: bigint;
}

// ---------------------------------------------------------------------------------------------
// Row shapes (bigint columns arrive as strings: the data source keeps parseInt8 off)
// ---------------------------------------------------------------------------------------------

interface AccountRow {
  id: string;
  currency: string;
  scale: number;
  status: AccountStatus;
  min_balance_minor: string | null;
  max_balance_minor: string | null;
  debits_posted: string;
  credits_posted: string;
  debits_pending: string;
  credits_pending: string;
  last_seq: string;
}

interface AccountViewRow extends AccountRow {
  description: string | null;
  metadata: Record<string, string>;
  created_by: string;
  created_at: Date;
  closed_by: string | null;
  closed_at: Date | null;
  updated_at: Date;
}

interface TransferRow {
  transfer_id: string;
  kind: TransferKind;
  status: OutcomeStatus;
  result_code: string | null;
  reason: string | null;
  fingerprint: string;
  debit_account_id: string;
  credit_account_id: string;
  amount_minor: string;
  currency: string;
  related_transfer_id: string | null;
  debit_posted_after: string | null;
  debit_pending_debits_after: string | null;
  debit_pending_credits_after: string | null;
  credit_posted_after: string | null;
  credit_pending_debits_after: string | null;
  credit_pending_credits_after: string | null;
  timeout_seconds: number | null;
  expires_at: Date | null;
  source_system: string;
  request_event_id: string | null;
  requested_at: Date;
  decided_at: Date;
  description: string | null;
  metadata: Record<string, string>;
}

interface LifecycleRow {
  transfer_id: string;
  state: PendingState | null;
  settled_by_transfer_id: string | null;
  settled_at: Date | null;
  reversed_minor: string;
}

const S = LEDGER_SCHEMA;

const TRANSFER_COLUMNS = `
  t.transfer_id, t.kind, t.status, t.result_code, t.reason, encode(t.fingerprint, 'hex') AS fingerprint,
  t.debit_account_id, t.credit_account_id, t.amount_minor, t.currency, t.related_transfer_id,
  t.debit_posted_after, t.debit_pending_debits_after, t.debit_pending_credits_after,
  t.credit_posted_after, t.credit_pending_debits_after, t.credit_pending_credits_after,
  t.timeout_seconds, t.expires_at, t.source_system, t.request_event_id, t.requested_at,
  t.decided_at, t.description, t.metadata`;

const ACCOUNT_COLUMNS = `
  a.id, a.currency, a.scale, b.status, b.min_balance_minor, b.max_balance_minor,
  b.debits_posted, b.credits_posted, b.debits_pending, b.credits_pending, b.last_seq`;

// ---------------------------------------------------------------------------------------------
// Repository
// ---------------------------------------------------------------------------------------------

/**
 * Persistence of the ledger: batch posting with a transactional outbox, account creation, expiry
 * of reservations, and the reads the HTTP API serves.
 *
 * A batch is one transaction of a handful of set-based statements, whatever its size:
 *  1. read the outcomes already recorded for the batch's transfer ids and the transfers they name;
 *  2. lock every involved account's balance row, in account-id order (`ORDER BY ... FOR NO KEY
 *     UPDATE`): concurrent batches acquire their overlapping locks in the same order, so they queue
 *     instead of deadlocking; a hot account is locked once per batch, not once per transfer;
 *  3. read accounts, totals and the clock after the locks (so nothing read can be stale), and
 *     the reservation/reversal state of the named transfers;
 *  4. evaluate every request in order with the pure domain (LedgerBatch) in memory;
 *  5. write all outcomes, entries, reservation changes, one balance update per account and the
 *     outbox events with multi-row `INSERT ... SELECT FROM unnest(...)` / `UPDATE ... FROM unnest`.
 */
export class LedgerRepository {
  private readonly maxAttempts: number;
  private readonly encoder: OutboxValueEncoder | undefined;

  constructor(
    private readonly dataSource: DataSource,
    options: LedgerRepositoryOptions = {},
  ) {
    this.maxAttempts = Math.max(1, Math.min(options.maxAttempts ?? 5, 20));
    this.encoder = options.encoder;
  }

  /**
   * Decides and records a batch of transfer requests atomically (all outcomes or none). Rejected
   * requests get a recorded REJECTED outcome and a TransferRejected event without affecting
   * their neighbours. Requests whose transfer id already has an outcome are replayed (DUPLICATE)
   * or refused (CONFLICT) without writing anything.
   */
  async postBatch(
    requests: readonly TransferRequest[],
    traceHeaders?: ReadonlyMap<string, Readonly<Record<string, string>>>,
  ): Promise<PostBatchResult> {
    checkBatch(requests);
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.inTransaction((q) =>
          this.postOnce(q, requests, attempt > 1, traceHeaders),
        );
        return { ...result, attempts: attempt };
      } catch (err) {
        const state = sqlStateOf(err);
        const lostRace = state === '23505' || state === '40P01' || state === '40001';
        if (lostRace && attempt < this.maxAttempts) {
          // Another batch committed one of our transfer ids between our outcome lookup and our
          // insert (or a foreign transaction closed a lock cycle). The re-run looks outcomes up
          // after its locks, so it sees that batch's outcome. Jitter spreads re-runs apart.
          await delay(Math.random() * 5 * attempt);
          continue;
        }
        throw storeError('posting a batch failed', err);
      }
    }
  }

  /**
   * One attempt. Optimistic (the first): recorded outcomes are looked up before the locks, which
   * keeps the lock window short; a batch racing ours with the same new transfer id then makes our
   * insert fail and we re-run. Pessimistic (re-runs): the accounts of every request are locked
   * first and outcomes looked up after, so a racing batch with the same id — which needs the same
   * accounts — is serialised with ours and its outcome is seen.
   */
  private async postOnce(
    q: QueryRunner,
    requests: readonly TransferRequest[],
    pessimistic: boolean,
    traceHeaders?: ReadonlyMap<string, Readonly<Record<string, string>>>,
  ): Promise<Omit<PostBatchResult, 'attempts'>> {
    // Everything that does not depend on balances is done before the locks, to keep the time
    // the accounts are held (which bounds throughput on a hot account) short.
    const fingerprints = requests.map(transferFingerprint);
    const ids = unique(requests.map((r) => r.transferId));
    const relatedIds = unique(
      requests.flatMap((r) => (r.relatedTransferId === null ? [] : [r.relatedTransferId])),
    );

    // 1. Outcomes already recorded: replays of the batch's ids, and the transfers it names
    //    (whose immutable accounts decide which rows to lock).
    let recorded = await this.selectTransfers(
      q,
      pessimistic ? relatedIds : unique([...ids, ...relatedIds]),
    );

    const accountIds = new Set<string>();
    for (const r of requests) {
      if (!pessimistic && recorded.has(r.transferId)) continue;
      if (r.kind === 'TRANSFER' || r.kind === 'PENDING') {
        accountIds.add(r.debitAccountId);
        accountIds.add(r.creditAccountId);
      } else if (r.relatedTransferId !== null) {
        const target = recorded.get(r.relatedTransferId);
        if (target !== undefined) {
          accountIds.add(target.debitAccountId);
          accountIds.add(target.creditAccountId);
        }
      }
    }

    // 2-3. Lock in order, then read what the locks protect.
    const { accounts, now } = await this.lockAndLoadAccounts(q, [...accountIds]);
    if (pessimistic) {
      const own = await this.selectTransfers(q, ids);
      recorded = new Map([...recorded, ...own]);
    }
    const lifecycles = await this.selectLifecycles(
      q,
      relatedIds.filter((id) => recorded.has(id)),
    );
    const known: KnownTransfer[] = [...recorded.values()].map((record) => ({
      record,
      lifecycle: lifecycles.get(record.transferId) ?? NO_LIFECYCLE,
    }));

    // 4. Decide, in request order, against in-memory balances.
    const batch = new LedgerBatch({ accounts, known, now });
    const results = requests.map((r, i) => batch.apply(r, fingerprints[i]));

    // 5. Write everything the batch decided, then its events.
    await this.writeBatch(q, batch, now);
    // Outcome events carry the request's trace context (W3C traceparent) through the outbox.
    const events = batch.records.map((record) => {
      const message = outcomeMessage(record);
      const headers = record.requestEventId ? traceHeaders?.get(record.requestEventId) : undefined;
      return headers ? { ...message, headers } : message;
    });
    await appendOutbox(q, S, events, this.encoder);

    let accepted = 0;
    let rejected = 0;
    let duplicates = 0;
    let conflicts = 0;
    for (const r of results) {
      if (r.disposition === 'DUPLICATE') duplicates++;
      else if (r.disposition === 'CONFLICT') conflicts++;
      else if (r.outcome.status === 'REJECTED') rejected++;
      else accepted++;
    }
    return {
      results,
      decidedAt: now,
      counts: { accepted, rejected, duplicates, conflicts },
      eventsWritten: events.length,
    };
  }

  /**
   * Releases up to `limit` reservations whose deadline is at or before `now`, oldest deadline
   * first, in one transaction with one TransferPosted (status EXPIRED) event each. Safe to run
   * from several processes: a reservation settled or expired meanwhile is skipped.
   */
  async expirePending(now: Date, limit: number): Promise<ExpirePendingResult> {
    if (Number.isNaN(now.getTime())) {
      throw new LedgerInputError('invalid time', [
        { index: 0, field: 'now', message: 'not a valid date' },
      ]);
    }
    const max = Math.max(1, Math.min(Math.trunc(limit) || 1, MAX_BATCH_REQUESTS));
    try {
      return await this.inTransaction(async (q) => {
        const due = await rows<{ transfer_id: string; debit: string; credit: string }>(
          q,
          `SELECT p.transfer_id, t.debit_account_id AS debit, t.credit_account_id AS credit
             FROM ${S}.pending_transfers p JOIN ${S}.transfers t USING (transfer_id)
            WHERE p.state = 'PENDING' AND p.expires_at <= $1
            ORDER BY p.expires_at, p.transfer_id
            LIMIT $2`,
          [now.toISOString(), max],
        );
        if (due.length === 0) return { expired: [] };
        const { accounts } = await this.lockAndLoadAccounts(
          q,
          unique(due.flatMap((d) => [d.debit, d.credit])),
        );
        const dueIds = due.map((d) => d.transfer_id);
        const recorded = await this.selectTransfers(q, dueIds);
        const lifecycles = await this.selectLifecycles(q, dueIds);
        const batch = new LedgerBatch({
          accounts,
          known: [...recorded.values()].map((record) => ({
            record,
            lifecycle: lifecycles.get(record.transferId) ?? NO_LIFECYCLE,
          })),
          now,
        });
        for (const id of dueIds) batch.expire(id);
        await this.writeBatch(q, batch, now);
        await appendOutbox(q, S, batch.expirations.map(expiryMessage), this.encoder);
        return {
          expired: batch.expirations.map((e) => ({
            transferId: e.pending.transferId,
            amountMinor: e.pending.amountMinor,
            currency: e.pending.currency,
            debitAccountId: e.pending.debitAccountId,
            creditAccountId: e.pending.creditAccountId,
            debitBalanceAfter: e.debitBalanceAfter,
            creditBalanceAfter: e.creditBalanceAfter,
          })),
        };
      });
    } catch (err) {
      throw storeError('expiring pending transfers failed', err);
    }
  }

  /**
   * Opens accounts, idempotently on the id: an account that exists with the same terms is
   * reported as EXISTS, with different terms as ACCOUNT_EXISTS; invalid specs are REJECTED.
   */
  async createAccounts(inputs: readonly NewAccount[]): Promise<CreateAccountResult[]> {
    if (inputs.length > MAX_BATCH_REQUESTS) {
      throw new LedgerInputError(`at most ${MAX_BATCH_REQUESTS} accounts per call`, []);
    }
    const specs = new Map<string, AccountSpec>();
    const verdicts = inputs.map((input) => {
      const v = validateNewAccount(input);
      if ('code' in v) return v;
      if (!specs.has(v.id)) specs.set(v.id, v);
      return v;
    });
    try {
      const created = await this.inTransaction(async (q) => {
        const list = [...specs.values()];
        if (list.length === 0) return new Set<string>();
        const inserted = await rows<{ account_id: string }>(
          q,
          `WITH new_accounts AS (
             INSERT INTO ${S}.accounts
               (id, currency, scale, min_balance_minor, max_balance_minor, description, metadata,
                created_by, created_at)
             SELECT u.id, u.currency, u.scale, u.min_b, u.max_b, u.description, u.metadata,
                    u.created_by, clock_timestamp()
               FROM unnest($1::text[], $2::text[], $3::smallint[], $4::bigint[], $5::bigint[],
                           $6::text[], $7::jsonb[], $8::text[])
                    AS u(id, currency, scale, min_b, max_b, description, metadata, created_by)
              ORDER BY u.id
             ON CONFLICT (id) DO NOTHING
             RETURNING id, min_balance_minor, max_balance_minor)
           INSERT INTO ${S}.balances (account_id, min_balance_minor, max_balance_minor)
           SELECT id, min_balance_minor, max_balance_minor FROM new_accounts
           RETURNING account_id`,
          [
            list.map((a) => a.id),
            list.map((a) => a.currency),
            list.map((a) => a.scale),
            list.map((a) => a.minBalanceMinor),
            list.map((a) => a.maxBalanceMinor),
            list.map((a) => a.description),
            list.map((a) => JSON.stringify(a.metadata)),
            list.map((a) => a.sourceSystem),
          ],
        );
        return new Set(inserted.map((r) => r.account_id));
      });
      const views = await this.selectAccountViews([...specs.keys()]);
      return verdicts.map((v, i): CreateAccountResult => {
        const accountId = inputs[i]?.id ?? '';
        if ('code' in v) return { accountId, status: 'REJECTED', code: v.code, reason: v.reason };
        const view = views.get(v.id);
        if (view === undefined) throw new Error(`account ${v.id} vanished after creation`);
        const first = specs.get(v.id) === v;
        if (created.has(v.id) && first) return { accountId, status: 'CREATED', account: view };
        if (sameAccountTerms(view, v)) return { accountId, status: 'EXISTS', account: view };
        return {
          accountId,
          status: 'REJECTED',
          code: LedgerCode.ACCOUNT_EXISTS,
          reason: `account ${v.id} already exists with different currency or bounds`,
        };
      });
    } catch (err) {
      throw storeError('creating accounts failed', err);
    }
  }

  /**
   * Closes an account: it takes part in no new transfer (ACCOUNT_CLOSED); reservations on it can
   * still be voided or expire. Idempotent.
   */
  async closeAccount(accountId: string, sourceSystem: string): Promise<CloseAccountResult> {
    try {
      // The UPDATE takes the same row lock a batch takes, so no batch is half-way through.
      await this.dataSource.query(
        `UPDATE ${S}.balances
            SET status = 'CLOSED', closed_by = $2, closed_at = clock_timestamp(),
                updated_at = clock_timestamp()
          WHERE account_id = $1 AND status = 'OPEN'`,
        [accountId, sourceSystem],
      );
      const view = (await this.selectAccountViews([accountId])).get(accountId);
      if (view === undefined) {
        return {
          status: 'REJECTED',
          code: LedgerCode.ACCOUNT_NOT_FOUND,
          reason: `account ${accountId} does not exist`,
        };
      }
      return { status: 'CLOSED', account: view };
    } catch (err) {
      throw storeError('closing an account failed', err);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Reads
  // -------------------------------------------------------------------------------------------

  /** The account with its current balances; undefined when it does not exist. */
  async getAccount(accountId: string): Promise<AccountView | undefined> {
    return (await this.selectAccountViews([accountId])).get(accountId);
  }

  /**
   * The posted balance as of a past moment, from the journal: the balance after the last entry
   * posted at or before `at`. (Reservations are not journalled, so only the posted balance has
   * a history.) Undefined when the account does not exist.
   */
  async getBalanceAt(accountId: string, at: Date): Promise<BalanceAt | undefined> {
    if (Number.isNaN(at.getTime())) {
      throw new LedgerInputError('invalid time', [
        { index: 0, field: 'at', message: 'not a valid date' },
      ]);
    }
    const found = await rows<{
      id: string;
      currency: string;
      scale: number;
      seq: string | null;
      balance_after_minor: string | null;
      posted_at: Date | null;
    }>(
      this.dataSource,
      `SELECT a.id, a.currency, a.scale, e.seq, e.balance_after_minor, e.posted_at
         FROM ${S}.accounts a
         LEFT JOIN LATERAL (
           SELECT seq, balance_after_minor, posted_at FROM ${S}.entries
            WHERE account_id = a.id AND posted_at <= $2
            ORDER BY posted_at DESC, seq DESC LIMIT 1) e ON true
        WHERE a.id = $1`,
      [accountId, at.toISOString()],
    );
    const row = found[0];
    if (row === undefined) return undefined;
    return {
      accountId: row.id,
      currency: row.currency,
      scale: row.scale,
      at,
      postedMinor: row.balance_after_minor === null ? 0n : BigInt(row.balance_after_minor),
      entrySeq: row.seq === null ? 0n : BigInt(row.seq),
      entryPostedAt: row.posted_at,
    };
  }

  /**
   * One page of an account's journal, keyset-paginated on the per-account sequence (stable under
   * concurrent posting, no OFFSET scans). Undefined when the account does not exist.
   */
  async listEntries(accountId: string, page: EntryPageRequest): Promise<EntryPage | undefined> {
    const limit = Math.max(1, Math.min(Math.trunc(page.limit) || 1, MAX_ENTRY_PAGE));
    const desc = page.order === 'desc';
    const cursor = page.cursor ?? null;
    if (cursor !== null && (!/^\d{1,19}$/.test(cursor) || BigInt(cursor) > INT64_MAX)) {
      throw new LedgerInputError('invalid entry cursor', [
        { index: 0, field: 'cursor', message: 'not a cursor returned by this API' },
      ]);
    }
    const found = await rows<{
      account_id: string;
      seq: string;
      transfer_id: string;
      side: 'DEBIT' | 'CREDIT';
      amount_minor: string;
      balance_after_minor: string;
      posted_at: Date;
      kind: TransferKind;
      debit_account_id: string;
      credit_account_id: string;
      description: string | null;
    }>(
      this.dataSource,
      `SELECT e.account_id, e.seq, e.transfer_id, e.side, e.amount_minor, e.balance_after_minor,
              e.posted_at, t.kind, t.debit_account_id, t.credit_account_id, t.description
         FROM ${S}.entries e JOIN ${S}.transfers t USING (transfer_id)
        WHERE e.account_id = $1
          AND ($2::bigint IS NULL OR ${desc ? 'e.seq < $2' : 'e.seq > $2'})
        ORDER BY e.seq ${desc ? 'DESC' : 'ASC'}
        LIMIT $3`,
      [accountId, cursor, limit + 1],
    );
    if (found.length === 0 && (await this.getAccount(accountId)) === undefined) return undefined;
    const pageRows = found.slice(0, limit);
    const last = pageRows[pageRows.length - 1];
    return {
      entries: pageRows.map((r) => ({
        accountId: r.account_id,
        seq: BigInt(r.seq),
        transferId: r.transfer_id,
        side: r.side,
        amountMinor: BigInt(r.amount_minor),
        balanceAfterMinor: BigInt(r.balance_after_minor),
        postedAt: r.posted_at,
        kind: r.kind,
        counterpartyAccountId: r.side === 'DEBIT' ? r.credit_account_id : r.debit_account_id,
        description: r.description,
      })),
      nextCursor: found.length > limit && last !== undefined ? last.seq : null,
    };
  }

  /** A transfer's recorded outcome and current lifecycle; undefined when the id is unknown. */
  async getTransfer(transferId: string): Promise<TransferView | undefined> {
    if (!isUuid(transferId)) return undefined;
    const id = transferId.toLowerCase();
    const records = await this.selectTransfers(this.dataSource, [id]);
    const record = records.get(id);
    if (record === undefined) return undefined;
    const lifecycle = (await this.selectLifecycles(this.dataSource, [id], true)).get(id);
    return {
      ...record,
      pendingState: lifecycle?.pendingState ?? null,
      settledByTransferId: lifecycle?.settledByTransferId ?? null,
      settledAt: lifecycle?.settledAt ?? null,
      reversedMinor: lifecycle?.reversedMinor ?? 0n,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Statements
  // -------------------------------------------------------------------------------------------

  private async selectTransfers(
    q: Queryable,
    ids: readonly string[],
  ): Promise<Map<string, TransferRecord>> {
    const found = new Map<string, TransferRecord>();
    if (ids.length === 0) return found;
    const list = await rows<TransferRow>(
      q,
      `SELECT ${TRANSFER_COLUMNS} FROM ${S}.transfers t WHERE t.transfer_id = ANY($1::uuid[])`,
      [pgArray(ids, (id) => id)],
    );
    for (const row of list) found.set(row.transfer_id, toTransferRecord(row));
    return found;
  }

  /** Reservation state and reversed amount; run after the locks so it cannot be stale. */
  private async selectLifecycles(
    q: Queryable,
    ids: readonly string[],
    withSettledAt = false,
  ): Promise<Map<string, TransferLifecycle & { settledAt: Date | null }>> {
    const found = new Map<string, TransferLifecycle & { settledAt: Date | null }>();
    if (ids.length === 0) return found;
    const list = await rows<LifecycleRow>(
      q,
      `SELECT i.transfer_id, p.state, p.settled_by_transfer_id,
              ${withSettledAt ? 'p.settled_at' : 'NULL::timestamptz AS settled_at'},
              COALESCE((SELECT sum(r.amount_minor) FROM ${S}.transfers r
                         WHERE r.related_transfer_id = i.transfer_id
                           AND r.kind = 'REVERSAL' AND r.status = 'POSTED'), 0) AS reversed_minor
         FROM unnest($1::uuid[]) AS i(transfer_id)
         LEFT JOIN ${S}.pending_transfers p ON p.transfer_id = i.transfer_id`,
      [pgArray(ids, (id) => id)],
    );
    for (const row of list) {
      found.set(row.transfer_id, {
        pendingState: row.state,
        settledByTransferId: row.settled_by_transfer_id,
        settledAt: row.settled_at,
        reversedMinor: BigInt(row.reversed_minor),
      });
    }
    return found;
  }

  /**
   * Locks the balance rows of `ids` in account-id order and returns them with the accounts'
   * definitions and the clock, in one statement. The values are current: a row locked FOR
   * (NO KEY) UPDATE is returned at its newest version even if the statement waited for it, and
   * everything mutable about an account lives in that row (the joined accounts row never
   * changes). The clock is read above the lock step, after each lock was granted, so it is later
   * than the commit of whoever held the locks before: each account's entries stay in time order.
   */
  private async lockAndLoadAccounts(
    q: QueryRunner,
    ids: readonly string[],
  ): Promise<{ accounts: AccountState[]; now: Date }> {
    const list =
      ids.length === 0
        ? []
        : await rows<AccountRow & { now: Date }>(
            q,
            `SELECT l.*, clock_timestamp() AS now
               FROM (SELECT ${ACCOUNT_COLUMNS}
                       FROM ${S}.balances b JOIN ${S}.accounts a ON a.id = b.account_id
                      WHERE b.account_id = ANY($1::text[])
                      ORDER BY b.account_id
                        FOR NO KEY UPDATE OF b) l`,
            [pgArray([...ids].sort(), (id) => id)],
          );
    let now = list.reduce<Date | undefined>(
      (max, r) => (max === undefined || r.now > max ? r.now : max),
      undefined,
    );
    if (now === undefined) {
      const clock = await rows<{ now: Date }>(q, 'SELECT clock_timestamp() AS now', []);
      now = clock[0]?.now;
      if (now === undefined) throw new Error('the clock query returned no row');
    }
    return { accounts: list.map(toAccountState), now };
  }

  /**
   * Writes everything a batch decided in ONE statement (data-modifying CTEs): outcomes,
   * reservations created and settled, journal entries and one balance update per account.
   * Rows are sorted by key: two batches racing on the same new transfer ids insert them in the
   * same order, so one waits for the other instead of deadlocking, then fails on the duplicate
   * and re-runs (and then sees the other's outcome).
   */
  private async writeBatch(q: QueryRunner, batch: LedgerBatch, now: Date): Promise<void> {
    const transfers = [...batch.records].sort((a, b) => compare(a.transferId, b.transferId));
    const created = transfers.filter((r) => r.status === 'PENDING');
    const createdStates = created.map((r) => batch.lifecycleOf(r.transferId) ?? NO_LIFECYCLE);
    const settled = batch.pendingStateChanges().sort((a, b) => compare(a.transferId, b.transferId));
    const entries = [...batch.entries].sort(
      (a, b) => compare(a.accountId, b.accountId) || (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0),
    );
    const accounts = batch.changedAccounts();
    if (transfers.length + settled.length + entries.length + accounts.length === 0) return;
    const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
    const written = await rows<{ settled: string; balances: string }>(
      q,
      `WITH
       new_transfers AS (
         INSERT INTO ${S}.transfers (
           transfer_id, kind, status, result_code, reason, fingerprint, debit_account_id,
           credit_account_id, amount_minor, currency, related_transfer_id,
           debit_posted_after, debit_pending_debits_after, debit_pending_credits_after,
           credit_posted_after, credit_pending_debits_after, credit_pending_credits_after,
           timeout_seconds, expires_at, source_system, request_event_id, requested_at,
           decided_at, description, metadata)
         SELECT u.transfer_id, u.kind, u.status, u.result_code, u.reason,
                decode(u.fingerprint, 'hex'), u.debit_account_id, u.credit_account_id,
                u.amount_minor, u.currency, u.related_transfer_id, u.dpa, u.ddpa, u.dcpa, u.cpa,
                u.cdpa, u.ccpa, u.timeout_seconds, u.expires_at, u.source_system,
                u.request_event_id, u.requested_at, $1::timestamptz, u.description, u.metadata
           FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                       $8::text[], $9::text[], $10::bigint[], $11::text[], $12::uuid[],
                       $13::bigint[], $14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[],
                       $18::bigint[], $19::integer[], $20::timestamptz[], $21::text[],
                       $22::uuid[], $23::timestamptz[], $24::text[], $25::jsonb[])
                AS u(transfer_id, kind, status, result_code, reason, fingerprint,
                     debit_account_id, credit_account_id, amount_minor, currency,
                     related_transfer_id, dpa, ddpa, dcpa, cpa, cdpa, ccpa, timeout_seconds,
                     expires_at, source_system, request_event_id, requested_at, description,
                     metadata)),
       new_pending AS (
         INSERT INTO ${S}.pending_transfers
           (transfer_id, state, expires_at, settled_by_transfer_id, settled_at)
         SELECT u.transfer_id, u.state, u.expires_at, u.settled_by,
                CASE WHEN u.state = 'PENDING' THEN NULL ELSE $1::timestamptz END
           FROM unnest($26::uuid[], $27::text[], $28::timestamptz[], $29::uuid[])
                AS u(transfer_id, state, expires_at, settled_by)),
       settled_pending AS (
         UPDATE ${S}.pending_transfers p
            SET state = u.state, settled_by_transfer_id = u.settled_by, settled_at = $1::timestamptz
           FROM unnest($30::uuid[], $31::text[], $32::uuid[]) AS u(transfer_id, state, settled_by)
          WHERE p.transfer_id = u.transfer_id AND p.state = 'PENDING'
         RETURNING 1),
       new_entries AS (
         INSERT INTO ${S}.entries
           (account_id, seq, transfer_id, side, amount_minor, balance_after_minor, posted_at)
         SELECT u.account_id, u.seq, u.transfer_id, u.side, u.amount, u.balance_after,
                $1::timestamptz
           FROM unnest($33::text[], $34::bigint[], $35::uuid[], $36::text[], $37::bigint[],
                       $38::bigint[]) AS u(account_id, seq, transfer_id, side, amount, balance_after)),
       new_balances AS (
         UPDATE ${S}.balances b
            SET debits_posted = u.dp, credits_posted = u.cp, debits_pending = u.dq,
                credits_pending = u.cq, last_seq = u.seq, updated_at = $1::timestamptz
           FROM unnest($39::text[], $40::bigint[], $41::bigint[], $42::bigint[], $43::bigint[],
                       $44::bigint[]) AS u(account_id, dp, cp, dq, cq, seq)
          WHERE b.account_id = u.account_id
         RETURNING 1)
       SELECT (SELECT count(*) FROM settled_pending) AS settled,
              (SELECT count(*) FROM new_balances) AS balances`,
      [
        now.toISOString(),
        // $2-$25 transfers
        pgArray(transfers, (r) => r.transferId),
        pgArray(transfers, (r) => r.kind),
        pgArray(transfers, (r) => r.status),
        pgArray(transfers, (r) => r.code),
        pgArray(transfers, (r) => r.reason),
        pgArray(transfers, (r) => r.fingerprint),
        pgArray(transfers, (r) => r.debitAccountId),
        pgArray(transfers, (r) => r.creditAccountId),
        pgArray(transfers, (r) => r.amountMinor),
        pgArray(transfers, (r) => r.currency),
        pgArray(transfers, (r) => r.relatedTransferId),
        pgArray(transfers, (r) => r.debitBalanceAfter?.postedMinor ?? null),
        pgArray(transfers, (r) => r.debitBalanceAfter?.pendingDebitsMinor ?? null),
        pgArray(transfers, (r) => r.debitBalanceAfter?.pendingCreditsMinor ?? null),
        pgArray(transfers, (r) => r.creditBalanceAfter?.postedMinor ?? null),
        pgArray(transfers, (r) => r.creditBalanceAfter?.pendingDebitsMinor ?? null),
        pgArray(transfers, (r) => r.creditBalanceAfter?.pendingCreditsMinor ?? null),
        pgArray(transfers, (r) => r.timeoutSeconds),
        pgArray(transfers, (r) => iso(r.expiresAt)),
        pgArray(transfers, (r) => r.sourceSystem),
        pgArray(transfers, (r) => r.requestEventId),
        pgArray(transfers, (r) => r.requestedAt.toISOString()),
        pgArray(transfers, (r) => r.description),
        pgArray(transfers, (r) => (isEmpty(r.metadata) ? '{}' : JSON.stringify(r.metadata))),
        // $26-$29 reservations created by this batch, in their state after it
        pgArray(created, (r) => r.transferId),
        pgArray(createdStates, (l) => l.pendingState ?? 'PENDING'),
        pgArray(created, (r) => iso(r.expiresAt)),
        pgArray(createdStates, (l) => l.settledByTransferId),
        // $30-$32 reservations recorded earlier and settled now
        pgArray(settled, (c) => c.transferId),
        pgArray(settled, (c) => c.state),
        pgArray(settled, (c) => c.settledByTransferId),
        // $33-$38 entries
        pgArray(entries, (e) => e.accountId),
        pgArray(entries, (e) => e.seq),
        pgArray(entries, (e) => e.transferId),
        pgArray(entries, (e) => e.side),
        pgArray(entries, (e) => e.amountMinor),
        pgArray(entries, (e) => e.balanceAfterMinor),
        // $39-$44 balances
        pgArray(accounts, (a) => a.id),
        pgArray(accounts, (a) => a.totals.debitsPosted),
        pgArray(accounts, (a) => a.totals.creditsPosted),
        pgArray(accounts, (a) => a.totals.debitsPending),
        pgArray(accounts, (a) => a.totals.creditsPending),
        pgArray(accounts, (a) => a.lastSeq),
      ],
    );
    const counts = written[0];
    if (
      counts === undefined ||
      Number(counts.settled) !== settled.length ||
      Number(counts.balances) !== accounts.length
    ) {
      // The account locks make this impossible; if it happens, roll back rather than guess.
      throw new Error(
        `ledger: expected ${settled.length} settlements and ${accounts.length} balance updates, ` +
          `wrote ${counts?.settled} and ${counts?.balances}`,
      );
    }
  }

  private async selectAccountViews(ids: readonly string[]): Promise<Map<string, AccountView>> {
    const found = new Map<string, AccountView>();
    if (ids.length === 0) return found;
    const list = await rows<AccountViewRow>(
      this.dataSource,
      `SELECT ${ACCOUNT_COLUMNS}, a.description, a.metadata, a.created_by, a.created_at,
              b.closed_by, b.closed_at, b.updated_at
         FROM ${S}.accounts a JOIN ${S}.balances b ON b.account_id = a.id
        WHERE a.id = ANY($1::text[])`,
      [ids],
    );
    for (const row of list) {
      const state = toAccountState(row);
      found.set(row.id, {
        id: state.id,
        currency: state.currency,
        scale: state.scale,
        status: state.status,
        minBalanceMinor: state.minBalanceMinor,
        maxBalanceMinor: state.maxBalanceMinor,
        description: row.description,
        metadata: row.metadata,
        balance: {
          ...snapshotOf(state.totals),
          debitsPostedMinor: state.totals.debitsPosted,
          creditsPostedMinor: state.totals.creditsPosted,
        },
        entryCount: state.lastSeq,
        createdBy: row.created_by,
        createdAt: row.created_at,
        closedBy: row.closed_by,
        closedAt: row.closed_at,
        updatedAt: row.updated_at,
      });
    }
    return found;
  }

  private async inTransaction<T>(work: (q: QueryRunner) => Promise<T>): Promise<T> {
    // Plain statements rather than QueryRunner.startTransaction, which spends a second round
    // trip on SET TRANSACTION. The algorithm relies on READ COMMITTED (a fresh snapshot per
    // statement), so it is stated rather than inherited from the server's default.
    const q = this.dataSource.createQueryRunner();
    try {
      await q.query('START TRANSACTION ISOLATION LEVEL READ COMMITTED');
      try {
        const result = await work(q);
        await q.query('COMMIT');
        return result;
      } catch (err) {
        try {
          await q.query('ROLLBACK');
        } catch (rollbackError) {
          // The connection is in an unknown state: hand it back as broken so the pool drops it
          // rather than lending it out mid-transaction. The original error is the one to report.
          await releaseAsBroken(q, rollbackError);
        }
        throw err;
      }
    } finally {
      await q.release();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Anything that runs a parameterised query: the DataSource (autocommit) or a QueryRunner. */
interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

async function rows<T>(q: Queryable, sql: string, params: unknown[]): Promise<T[]> {
  const result = await q.query(sql, params);
  if (!Array.isArray(result)) throw new Error('expected rows from a SELECT');
  return result as T[];
}

/**
 * TypeORM's PostgreSQL query runner can release its client with an error, which makes pg-pool
 * destroy it; the method is not part of the QueryRunner interface, hence the structural check.
 */
async function releaseAsBroken(q: QueryRunner, err: unknown): Promise<void> {
  const runner = q as QueryRunner & { releasePostgresConnection?: (e: unknown) => Promise<void> };
  if (typeof runner.releasePostgresConnection === 'function') {
    await runner.releasePostgresConnection(err instanceof Error ? err : new Error(String(err)));
  }
}

function isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return false;
  return true;
}

function checkBatch(requests: readonly TransferRequest[]): void {
  if (requests.length > MAX_BATCH_REQUESTS) {
    throw new LedgerInputError(`at most ${MAX_BATCH_REQUESTS} requests per batch`, []);
  }
  const details = requests.flatMap((r, index) =>
    checkTransferRequest(r).map((e) => ({ index, field: e.field, message: e.message })),
  );
  if (details.length > 0) {
    throw new LedgerInputError(
      `${details.length} structural errors in the batch (parse requests before posting)`,
      details,
    );
  }
}

function toAccountState(row: AccountRow): AccountState {
  return {
    id: row.id,
    currency: row.currency,
    scale: row.scale,
    status: row.status,
    minBalanceMinor: row.min_balance_minor === null ? null : BigInt(row.min_balance_minor),
    maxBalanceMinor: row.max_balance_minor === null ? null : BigInt(row.max_balance_minor),
    totals: {
      debitsPosted: BigInt(row.debits_posted),
      creditsPosted: BigInt(row.credits_posted),
      debitsPending: BigInt(row.debits_pending),
      creditsPending: BigInt(row.credits_pending),
    },
    lastSeq: BigInt(row.last_seq),
  };
}

function toTransferRecord(row: TransferRow): TransferRecord {
  const big = (v: string | null): bigint | null => (v === null ? null : minorFromString(v));
  const snapshot = (
    posted: string | null,
    pendingDebits: string | null,
    pendingCredits: string | null,
  ): BalanceSnapshot | null => {
    const p = big(posted);
    const d = big(pendingDebits);
    const c = big(pendingCredits);
    if (p === null || d === null || c === null) return null;
    return { postedMinor: p, pendingDebitsMinor: d, pendingCreditsMinor: c, availableMinor: p - d };
  };
  return {
    transferId: row.transfer_id,
    kind: row.kind,
    status: row.status,
    code: row.result_code as TransferRejectionCode | null,
    reason: row.reason,
    fingerprint: row.fingerprint,
    debitAccountId: row.debit_account_id,
    creditAccountId: row.credit_account_id,
    amountMinor: minorFromString(row.amount_minor),
    currency: row.currency,
    relatedTransferId: row.related_transfer_id,
    debitBalanceAfter: snapshot(
      row.debit_posted_after,
      row.debit_pending_debits_after,
      row.debit_pending_credits_after,
    ),
    creditBalanceAfter: snapshot(
      row.credit_posted_after,
      row.credit_pending_debits_after,
      row.credit_pending_credits_after,
    ),
    timeoutSeconds: row.timeout_seconds,
    expiresAt: row.expires_at,
    sourceSystem: row.source_system,
    requestEventId: row.request_event_id,
    requestedAt: row.requested_at,
    decidedAt: row.decided_at,
    description: row.description,
    metadata: row.metadata,
  };
}

function sqlStateOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  const code = e.driverError?.code ?? e.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

const RETRIABLE_NODE_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

function storeError(what: string, err: unknown): Error {
  if (err instanceof LedgerStoreError || err instanceof LedgerInputError) return err;
  const state = sqlStateOf(err);
  const nodeCode = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  const retriable =
    (state !== undefined && /^(08|40001|40P01|57P0|53300|55P03|23505)/.test(state)) ||
    (typeof nodeCode === 'string' && RETRIABLE_NODE_ERRORS.has(nodeCode)) ||
    /Connection terminated|timeout exceeded when trying to connect/i.test(message);
  // The driver error carries the statement's parameters (thousands of values): keep only the
  // message and SQLSTATE so logs stay readable.
  return new LedgerStoreError(`${what}: ${message}`, retriable, state);
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
