import pg from 'pg';
import { type DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { type NewAccount } from './domain/account.js';
import { type TransferRequest } from './domain/transfer.js';
import { uuidV5 } from './domain/uuid.js';
import { initializeLedgerDataSource, type LedgerDatabaseConfig } from './ledger.data-source.js';
import { LedgerRepository, type PostBatchResult } from './ledger.repository.js';
import { expiryEventId, outcomeEventId } from './transfer-events.js';

/**
 * Several batches posted at once over the same accounts, in random order, with every kind of
 * request, invalid ones, re-deliveries and conflicting re-uses of ids — then the bank invariants.
 */

/** Deterministic PRNG (mulberry32): a failing run can be replayed from its seed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 20261122;
const ID_NAMESPACE = '0f4c1d3e-8a77-4b0e-9c59-5a8f2b6c7d10';

const usdCustomers = Array.from({ length: 16 }, (_, i) => `usd-${i}`);
const poorCustomers = Array.from({ length: 4 }, (_, i) => `poor-${i}`);
const overdrafts = ['od-0', 'od-1'];
const eurCustomers = Array.from({ length: 4 }, (_, i) => `eur-${i}`);
const usdAccounts = [...usdCustomers, ...poorCustomers, ...overdrafts, 'capped', 'merchant'];

function accounts(): NewAccount[] {
  return [
    { id: 'usd-world', currency: 'USD', minBalanceMinor: null, sourceSystem: 'setup' },
    { id: 'eur-world', currency: 'EUR', minBalanceMinor: null, sourceSystem: 'setup' },
    ...[...usdCustomers, ...poorCustomers, 'merchant'].map((id) => ({
      id,
      currency: 'USD',
      sourceSystem: 'setup',
    })),
    ...overdrafts.map((id) => ({
      id,
      currency: 'USD',
      minBalanceMinor: -5_000n,
      sourceSystem: 'setup',
    })),
    { id: 'capped', currency: 'USD', maxBalanceMinor: 30_000n, sourceSystem: 'setup' },
    ...eurCustomers.map((id) => ({ id, currency: 'EUR', sourceSystem: 'setup' })),
  ];
}

class TrafficGenerator {
  private readonly rnd: () => number;
  private counter = 0;
  private readonly pendingIds: string[] = [];
  private readonly postedIds: string[] = [];
  private readonly sent: TransferRequest[] = [];

  constructor(seed: number) {
    this.rnd = prng(seed);
  }

  private pick<T>(xs: readonly T[]): T {
    const x = xs[Math.floor(this.rnd() * xs.length)];
    if (x === undefined) throw new Error('empty choice');
    return x;
  }

  private id(): string {
    this.counter += 1;
    return uuidV5(`transfer-${this.counter}`, ID_NAMESPACE);
  }

  private base(kind: TransferRequest['kind']): TransferRequest {
    return {
      transferId: this.id(),
      kind,
      debitAccountId: '',
      creditAccountId: '',
      amountMinor: BigInt(1 + Math.floor(this.rnd() * 4000)),
      currency: 'USD',
      relatedTransferId: null,
      timeoutSeconds: null,
      sourceSystem: 'concurrency-test',
      requestEventId: this.id(),
      requestedAt: new Date(1_800_000_000_000 + this.counter),
      description: null,
      metadata: {},
    };
  }

  private movement(kind: 'TRANSFER' | 'PENDING', hot: boolean): TransferRequest {
    const r = this.base(kind);
    const eur = !hot && this.rnd() < 0.15;
    const pool = eur ? eurCustomers : usdAccounts;
    let debit = this.pick(pool);
    let credit = hot ? 'merchant' : this.pick(pool);
    while (debit === credit) debit = this.pick(pool);
    const invalid = this.rnd();
    if (invalid < 0.03) credit = 'no-such-account';
    else if (invalid < 0.05) credit = eur ? 'merchant' : this.pick(eurCustomers);
    else if (invalid < 0.07)
      return { ...r, debitAccountId: debit, creditAccountId: credit, amountMinor: 0n };
    else if (invalid < 0.08) credit = debit;
    const timeout =
      kind === 'PENDING' ? (this.rnd() < 0.5 ? 60 + Math.floor(this.rnd() * 600) : null) : null;
    return {
      ...r,
      debitAccountId: debit,
      creditAccountId: credit,
      currency: eur ? 'EUR' : 'USD',
      timeoutSeconds: timeout,
    };
  }

  /** One batch of `size` requests; `hotShare` of the transfers credit the merchant. */
  batch(size: number, hotShare: number): TransferRequest[] {
    const out: TransferRequest[] = [];
    for (let i = 0; i < size; i++) {
      const dice = this.rnd();
      let r: TransferRequest;
      if (dice < 0.04 && this.sent.length > 0) {
        // Re-delivery of a request sent earlier (maybe in a batch still in flight).
        const original = this.pick(this.sent);
        r = { ...original, requestEventId: this.id() };
      } else if (dice < 0.06 && this.sent.length > 0) {
        // The same id re-used for a different request.
        const original = this.pick(this.sent);
        r = { ...original, amountMinor: original.amountMinor + 1n, requestEventId: this.id() };
      } else if (dice < 0.14 && this.pendingIds.length > 0) {
        r = {
          ...this.base('POST_PENDING'),
          relatedTransferId: this.pick(this.pendingIds),
          amountMinor: this.rnd() < 0.5 ? 0n : BigInt(Math.floor(this.rnd() * 3000)),
        };
        r = { ...r, currency: '' };
      } else if (dice < 0.2 && this.pendingIds.length > 0) {
        r = {
          ...this.base('VOID_PENDING'),
          relatedTransferId: this.pick(this.pendingIds),
          amountMinor: 0n,
          currency: '',
        };
      } else if (dice < 0.25 && this.postedIds.length > 0) {
        r = {
          ...this.base('REVERSAL'),
          relatedTransferId: this.pick(this.postedIds),
          amountMinor: this.rnd() < 0.5 ? 0n : BigInt(Math.floor(this.rnd() * 2000)),
          currency: '',
        };
      } else if (dice < 0.37) {
        r = this.movement('PENDING', false);
        this.pendingIds.push(r.transferId);
      } else {
        r = this.movement('TRANSFER', this.rnd() < hotShare);
        this.postedIds.push(r.transferId);
      }
      if (r.kind === 'POST_PENDING') this.postedIds.push(r.transferId);
      this.sent.push(r);
      out.push(r);
    }
    return out;
  }

  shuffle<T>(xs: T[]): T[] {
    const copy = [...xs];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.rnd() * (i + 1));
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy;
  }
}

function fund(accountId: string, amountMinor: bigint, currency: 'USD' | 'EUR'): TransferRequest {
  return {
    transferId: uuidV5(`fund-${accountId}`, ID_NAMESPACE),
    kind: 'TRANSFER',
    debitAccountId: currency === 'USD' ? 'usd-world' : 'eur-world',
    creditAccountId: accountId,
    amountMinor,
    currency,
    relatedTransferId: null,
    timeoutSeconds: null,
    sourceSystem: 'setup',
    requestEventId: null,
    requestedAt: new Date(1_800_000_000_000),
    description: null,
    metadata: {},
  };
}

async function runConcurrently(
  repo: LedgerRepository,
  batches: TransferRequest[][],
  concurrency: number,
): Promise<PostBatchResult[]> {
  const results: PostBatchResult[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const batch = batches[next++];
        if (batch === undefined) return;
        results.push(await repo.postBatch(batch));
      }
    }),
  );
  return results;
}

describe('LedgerRepository under concurrent batches (PostgreSQL)', () => {
  let db: TestDatabase;
  let config: LedgerDatabaseConfig;
  let dataSource: DataSource;
  let repo: LedgerRepository;
  const generator = new TrafficGenerator(SEED);
  const submitted = new Set<string>();
  let batches: TransferRequest[][] = [];

  async function query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return await dataSource.query<T[]>(sql, params);
  }

  /** Every invariant a bank must keep, checked with SQL over the whole database. */
  async function expectInvariants(): Promise<void> {
    const perCurrency = await query<{ currency: string; posted: string; pd: string; pc: string }>(
      `SELECT a.currency, sum(b.credits_posted - b.debits_posted)::text AS posted,
              sum(b.debits_pending)::text AS pd, sum(b.credits_pending)::text AS pc
         FROM ledger.balances b JOIN ledger.accounts a ON a.id = b.account_id
        GROUP BY a.currency ORDER BY a.currency`,
    );
    expect(perCurrency.map((c) => [c.currency, c.posted, c.pd === c.pc])).toEqual([
      ['EUR', '0', true],
      ['USD', '0', true],
    ]);
    const outOfBounds = await query<{ account_id: string }>(
      `SELECT account_id FROM ledger.balances
        WHERE (min_balance_minor IS NOT NULL
               AND credits_posted - debits_posted - debits_pending < min_balance_minor)
           OR (max_balance_minor IS NOT NULL
               AND credits_posted + credits_pending - debits_posted > max_balance_minor)`,
    );
    expect(outOfBounds).toEqual([]);
    // The journal agrees with the balances: gapless sequences, last balance-after = balance.
    const journal = await query<{ account_id: string }>(
      `SELECT b.account_id
         FROM ledger.balances b
         LEFT JOIN LATERAL (SELECT count(*) AS n, max(seq) AS last FROM ledger.entries e
                             WHERE e.account_id = b.account_id) c ON true
         LEFT JOIN LATERAL (SELECT balance_after_minor FROM ledger.entries e
                             WHERE e.account_id = b.account_id ORDER BY seq DESC LIMIT 1) l ON true
        WHERE c.n <> b.last_seq OR coalesce(c.last, 0) <> b.last_seq
           OR coalesce(l.balance_after_minor, 0) <> b.credits_posted - b.debits_posted`,
    );
    expect(journal).toEqual([]);
    const [sides] = await query<{ debits: string; credits: string; bad_transfers: string }>(
      `SELECT (SELECT coalesce(sum(amount_minor), 0)::text FROM ledger.entries WHERE side = 'DEBIT') AS debits,
              (SELECT coalesce(sum(amount_minor), 0)::text FROM ledger.entries WHERE side = 'CREDIT') AS credits,
              (SELECT count(*)::text FROM ledger.transfers t
                 LEFT JOIN (SELECT transfer_id, count(*) AS n FROM ledger.entries GROUP BY 1) e
                   USING (transfer_id)
                WHERE coalesce(e.n, 0) <> CASE WHEN t.status = 'POSTED' THEN 2 ELSE 0 END
              ) AS bad_transfers`,
    );
    expect(sides?.debits).toBe(sides?.credits);
    expect(sides?.bad_transfers).toBe('0');
    // Exactly one outcome per submitted transfer id, and exactly one outcome event for it.
    const ids = await query<{ transfer_id: string }>('SELECT transfer_id FROM ledger.transfers');
    expect(ids.length).toBe(submitted.size);
    expect(ids.every((r) => submitted.has(r.transfer_id))).toBe(true);
    const events = await query<{ event_id: string; msg_key: string; status: string | null }>(
      `SELECT event_id, msg_key, payload->>'status' AS status FROM ledger.outbox`,
    );
    const expired = await query<{ transfer_id: string }>(
      `SELECT transfer_id FROM ledger.pending_transfers WHERE state = 'EXPIRED'`,
    );
    const expected = new Set([
      ...ids.map((r) => outcomeEventId(r.transfer_id)),
      ...expired.map((r) => expiryEventId(r.transfer_id)),
    ]);
    expect(events.length).toBe(expected.size);
    expect(events.every((e) => expected.has(e.event_id))).toBe(true);
  }

  beforeAll(async () => {
    db = await createTestDatabase('ledger_conc');
    config = { url: db.url, poolMax: 8, ssl: false, applicationName: 'ledger-concurrency' };
    dataSource = await initializeLedgerDataSource(config);
    repo = new LedgerRepository(dataSource);
    await repo.createAccounts(accounts());
    const funding = await repo.postBatch([
      ...[...usdCustomers, ...overdrafts].map((id) => fund(id, 200_000n, 'USD')),
      fund('capped', 10_000n, 'USD'),
      ...poorCustomers.map((id) => fund(id, 3_000n, 'USD')),
      ...eurCustomers.map((id) => fund(id, 3_000n, 'EUR')),
    ]);
    if (funding.counts.accepted !== 27) throw new Error('setup: funding failed');
    for (const r of funding.results) {
      if (r.disposition === 'APPLIED') submitted.add(r.outcome.transferId);
    }
  });

  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await db?.drop();
  });

  it('posts 48 overlapping batches 6 at a time, in random order, without deadlocks', async () => {
    batches = generator.shuffle(Array.from({ length: 48 }, () => generator.batch(200, 0.3)));
    for (const b of batches) for (const r of b) submitted.add(r.transferId);
    const results = await runConcurrently(repo, batches, 6);

    expect(results).toHaveLength(48);
    const totals = results.reduce(
      (t, r) => ({
        accepted: t.accepted + r.counts.accepted,
        rejected: t.rejected + r.counts.rejected,
        duplicates: t.duplicates + r.counts.duplicates,
        conflicts: t.conflicts + r.counts.conflicts,
        rerun: t.rerun + (r.attempts > 1 ? 1 : 0),
      }),
      { accepted: 0, rejected: 0, duplicates: 0, conflicts: 0, rerun: 0 },
    );
    // The traffic really exercised every path.
    expect(totals.accepted).toBeGreaterThan(4000);
    expect(totals.rejected).toBeGreaterThan(500);
    expect(totals.duplicates).toBeGreaterThan(100);
    expect(totals.conflicts).toBeGreaterThan(50);
    const kinds = await query<{ kind: string; status: string }>(
      'SELECT DISTINCT kind, status FROM ledger.transfers',
    );
    expect(kinds.map((k) => `${k.kind}/${k.status}`).sort()).toEqual(
      expect.arrayContaining([
        'PENDING/PENDING',
        'POST_PENDING/POSTED',
        'REVERSAL/POSTED',
        'TRANSFER/POSTED',
        'TRANSFER/REJECTED',
        'VOID_PENDING/VOIDED',
      ]),
    );
    await expectInvariants();
  });

  it('expires every due reservation, concurrently with itself', async () => {
    const future = new Date(Date.now() + 86_400_000);
    const sweeps = await Promise.all([1, 2, 3].map(() => repo.expirePending(future, 10_000)));
    const expired = sweeps.flatMap((s) => s.expired.map((e) => e.transferId));
    expect(new Set(expired).size).toBe(expired.length);
    expect(expired.length).toBeGreaterThan(10);
    const [left] = await query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ledger.pending_transfers
        WHERE state = 'PENDING' AND expires_at IS NOT NULL`,
    );
    expect(left?.n).toBe(0);
    await expectInvariants();
  });

  it('changes nothing when every batch is delivered again, concurrently', async () => {
    const before = await query<{ t: string; e: string; o: string; b: string }>(
      `SELECT (SELECT count(*) FROM ledger.transfers)::text AS t,
              (SELECT count(*) FROM ledger.entries)::text AS e,
              (SELECT count(*) FROM ledger.outbox)::text AS o,
              (SELECT string_agg(account_id || ':' || debits_posted || ':' || credits_posted || ':'
                                 || debits_pending || ':' || credits_pending, ',' ORDER BY account_id)
                 FROM ledger.balances) AS b`,
    );
    const results = await runConcurrently(repo, generator.shuffle(batches), 6);
    expect(
      results.reduce((n, r) => n + r.counts.accepted + r.counts.rejected + r.eventsWritten, 0),
    ).toBe(0);
    const after = await query<{ t: string; e: string; o: string; b: string }>(
      `SELECT (SELECT count(*) FROM ledger.transfers)::text AS t,
              (SELECT count(*) FROM ledger.entries)::text AS e,
              (SELECT count(*) FROM ledger.outbox)::text AS o,
              (SELECT string_agg(account_id || ':' || debits_posted || ':' || credits_posted || ':'
                                 || debits_pending || ':' || credits_pending, ',' ORDER BY account_id)
                 FROM ledger.balances) AS b`,
    );
    expect(after).toEqual(before);
  });

  it('keeps the invariants when every transfer credits one hot merchant account', async () => {
    const topUp = await repo.postBatch(
      [...usdCustomers, ...overdrafts].map((id) => ({
        ...fund(id, 10_000_000n, 'USD'),
        transferId: uuidV5(`top-up-${id}`, ID_NAMESPACE),
      })),
    );
    for (const r of topUp.results)
      if (r.disposition === 'APPLIED') submitted.add(r.outcome.transferId);
    const hot = Array.from({ length: 24 }, () => generator.batch(250, 1));
    for (const b of hot) for (const r of b) submitted.add(r.transferId);
    const results = await runConcurrently(repo, generator.shuffle(hot), 6);
    expect(results.reduce((n, r) => n + r.counts.accepted, 0)).toBeGreaterThan(2000);
    await expectInvariants();
  });

  it('never hit a deadlock (PostgreSQL counts them even when a retry hides one)', async () => {
    // Backends flush their statistics when they exit: close the pool, then ask.
    await dataSource.destroy();
    const client = new pg.Client({ connectionString: config.url });
    await client.connect();
    try {
      const stats = await client.query<{ deadlocks: string }>(
        'SELECT deadlocks::text FROM pg_stat_database WHERE datname = current_database()',
      );
      expect(stats.rows[0]?.deadlocks).toBe('0');
    } finally {
      await client.end();
    }
  });
});
