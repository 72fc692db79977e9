import { randomUUID } from 'node:crypto';
import avro from 'avsc';
import pg from 'pg';
import { type DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { TOPICS } from '../platform/messaging/topics.js';
import { TransferPostedSchema, TransferRejectedSchema } from '../platform/schemas/generated.js';
import { LedgerCode } from './domain/result-codes.js';
import {
  type TransferRecord,
  type TransferRequest,
  type TransferResult,
} from './domain/transfer.js';
import { initializeLedgerDataSource, type LedgerDatabaseConfig } from './ledger.data-source.js';
import { LedgerInputError, LedgerRepository, LedgerStoreError } from './ledger.repository.js';
import { LEDGER_MIGRATIONS } from './migrations/index.js';
import { pgArray } from './pg-array.js';
import { expiryEventId, outcomeEventId } from './transfer-events.js';

const postedType = avro.Type.forSchema(JSON.parse(TransferPostedSchema) as avro.Schema);
const rejectedType = avro.Type.forSchema(JSON.parse(TransferRejectedSchema) as avro.Schema);

function transfer(overrides: Partial<TransferRequest> = {}): TransferRequest {
  return {
    transferId: randomUUID(),
    kind: 'TRANSFER',
    debitAccountId: 'alice',
    creditAccountId: 'bob',
    amountMinor: 100n,
    currency: 'USD',
    relatedTransferId: null,
    timeoutSeconds: null,
    sourceSystem: 'checkout',
    requestEventId: randomUUID(),
    requestedAt: new Date(),
    description: null,
    metadata: {},
    ...overrides,
  };
}

function outcome(result: TransferResult | undefined): TransferRecord {
  if (result === undefined) throw new Error('missing result');
  return result.disposition === 'CONFLICT' ? result.original : result.outcome;
}

function summary(result: TransferResult | undefined): string {
  if (result === undefined) return 'missing';
  if (result.disposition === 'CONFLICT') return `CONFLICT ${result.code}`;
  const o = result.outcome;
  return `${result.disposition} ${o.status}${o.code === null ? '' : ` ${o.code}`}`;
}

interface OutboxRow {
  event_id: string;
  topic: string;
  msg_key: string;
  payload: Record<string, unknown>;
}

describe('LedgerRepository (PostgreSQL)', () => {
  let db: TestDatabase;
  let config: LedgerDatabaseConfig;
  let dataSource: DataSource;
  let repo: LedgerRepository;

  async function count(table: string): Promise<number> {
    const rows = await dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM ledger.${table}`,
    );
    return rows[0]?.n ?? -1;
  }

  async function outbox(): Promise<OutboxRow[]> {
    return await dataSource.query<OutboxRow[]>(
      'SELECT event_id, topic, msg_key, payload FROM ledger.outbox ORDER BY id',
    );
  }

  async function posted(accountId: string): Promise<bigint> {
    const account = await repo.getAccount(accountId);
    if (account === undefined) throw new Error(`no account ${accountId}`);
    return account.balance.postedMinor;
  }

  beforeAll(async () => {
    db = await createTestDatabase('ledger_repo');
    config = { url: db.url, poolMax: 4, ssl: false, applicationName: 'ledger-int-spec' };
    dataSource = await initializeLedgerDataSource(config);
    repo = new LedgerRepository(dataSource);
    const created = await repo.createAccounts([
      { id: 'world', currency: 'USD', minBalanceMinor: null, sourceSystem: 'setup' },
      { id: 'world-eur', currency: 'EUR', minBalanceMinor: null, sourceSystem: 'setup' },
      { id: 'alice', currency: 'USD', sourceSystem: 'setup' },
      { id: 'bob', currency: 'USD', sourceSystem: 'setup' },
      { id: 'carol', currency: 'USD', sourceSystem: 'setup' },
      { id: 'capped', currency: 'USD', maxBalanceMinor: 500n, sourceSystem: 'setup' },
      { id: 'euro', currency: 'EUR', sourceSystem: 'setup' },
      { id: 'gone', currency: 'USD', sourceSystem: 'setup' },
    ]);
    if (created.some((c) => c.status !== 'CREATED')) throw new Error('setup: accounts not created');
    const funding = await repo.postBatch([
      transfer({ debitAccountId: 'world', creditAccountId: 'alice', amountMinor: 1000n }),
      transfer({ debitAccountId: 'world', creditAccountId: 'carol', amountMinor: 1000n }),
      transfer({ debitAccountId: 'world', creditAccountId: 'gone', amountMinor: 50n }),
      transfer({
        debitAccountId: 'world-eur',
        creditAccountId: 'euro',
        amountMinor: 1000n,
        currency: 'EUR',
      }),
    ]);
    if (funding.counts.accepted !== 4) throw new Error('setup: funding failed');
    if ((await repo.closeAccount('gone', 'setup')).status !== 'CLOSED') {
      throw new Error('setup: closing failed');
    }
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  describe('schema and migrations', () => {
    it('ran the migrations once, into schema ledger, with the platform outbox', async () => {
      const migrations = await dataSource.query<Array<{ name: string }>>(
        'SELECT name FROM ledger.typeorm_migrations ORDER BY id',
      );
      expect(migrations.map((m) => m.name)).toEqual([
        'CreateLedgerTables1795368000000',
        'OutboxAutovacuum1795368100000',
        'OutboxEncodedValue1795368200000',
        'OutboxRetryIndex1795368300000',
      ]);
      const tables = await dataSource.query<Array<{ table_name: string }>>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'ledger'
          ORDER BY table_name`,
      );
      expect(tables.map((t) => t.table_name)).toEqual([
        'accounts',
        'balances',
        'entries',
        'outbox',
        'pending_transfers',
        'transfers',
        'typeorm_migrations',
      ]);
    });

    it('initialises safely from several processes at once, and migrates down and up', async () => {
      const fresh = await createTestDatabase('ledger_mig');
      try {
        const freshConfig = { ...config, url: fresh.url };
        const sources = await Promise.all(
          [1, 2, 3].map(() => initializeLedgerDataSource(freshConfig)),
        );
        const first = sources[0];
        if (first === undefined) throw new Error('no data source');
        const runs = await first.query<Array<{ n: number }>>(
          'SELECT count(*)::int AS n FROM ledger.typeorm_migrations',
        );
        const all = LEDGER_MIGRATIONS.length;
        expect(runs[0]?.n).toBe(all);
        for (let i = 0; i < all; i++) await first.undoLastMigration();
        const left = await first.query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM information_schema.tables
            WHERE table_schema = 'ledger' AND table_name <> 'typeorm_migrations'`,
        );
        expect(left[0]?.n).toBe(0);
        expect(await first.runMigrations()).toHaveLength(all);
        await Promise.all(sources.map((s) => s.destroy()));
      } finally {
        await fresh.drop();
      }
    });

    it('refuses to update or delete journal entries and recorded outcomes', async () => {
      await expect(dataSource.query('UPDATE ledger.entries SET amount_minor = 1')).rejects.toThrow(
        /append-only/,
      );
      await expect(dataSource.query('DELETE FROM ledger.transfers')).rejects.toThrow(/append-only/);
      await expect(dataSource.query('TRUNCATE ledger.entries')).rejects.toThrow(/append-only/);
    });

    it('round-trips awkward strings through the array literals of set-based statements', async () => {
      const values = [
        'a',
        '',
        'NULL',
        ' spaced ',
        'comma,{brace}',
        'say "hi"',
        'back\\slash',
        '\\"',
        'line\nbreak',
        'ünïcødé ✓',
      ];
      const rows = await dataSource.query<Array<{ v: string | null }>>(
        'SELECT unnest($1::text[]) AS v',
        [pgArray([...values, null], (v) => v)],
      );
      expect(rows.map((r) => r.v)).toEqual([...values, null]);
    });

    it('enforces the bounds in the database as well (defence in depth)', async () => {
      await expect(
        dataSource.query(`UPDATE ledger.balances SET debits_posted = debits_posted + 1000000
                           WHERE account_id = 'alice'`),
      ).rejects.toThrow(/balances_within_lower_bound/);
    });
  });

  describe('createAccounts / closeAccount', () => {
    it('is idempotent on the id and reports conflicts and invalid specs', async () => {
      const results = await repo.createAccounts([
        { id: 'alice', currency: 'USD', sourceSystem: 'crm', description: 'same terms' },
        { id: 'bob', currency: 'EUR', sourceSystem: 'crm' },
        { id: 'dave', currency: 'USD', sourceSystem: 'crm', metadata: { tier: 'gold' } },
        { id: 'dave', currency: 'USD', sourceSystem: 'crm' },
        { id: 'erin', currency: 'usd', sourceSystem: 'crm' },
      ]);
      expect(results.map((r) => [r.accountId, r.status, 'code' in r ? r.code : ''])).toEqual([
        ['alice', 'EXISTS', ''],
        ['bob', 'REJECTED', LedgerCode.ACCOUNT_EXISTS],
        ['dave', 'CREATED', ''],
        ['dave', 'EXISTS', ''],
        ['erin', 'REJECTED', LedgerCode.INVALID_CURRENCY],
      ]);
      const dave = await repo.getAccount('dave');
      expect(dave).toMatchObject({
        currency: 'USD',
        scale: 2,
        status: 'OPEN',
        minBalanceMinor: 0n,
        maxBalanceMinor: null,
        metadata: { tier: 'gold' },
        createdBy: 'crm',
        entryCount: 0n,
      });
    });

    it('closes accounts idempotently and reports unknown ones', async () => {
      const again = await repo.closeAccount('gone', 'ops');
      // Still closed by whoever closed it first.
      expect(again).toMatchObject({ status: 'CLOSED', account: { closedBy: 'setup' } });
      expect(await repo.closeAccount('nobody', 'ops')).toMatchObject({
        status: 'REJECTED',
        code: LedgerCode.ACCOUNT_NOT_FOUND,
      });
    });
  });

  describe('postBatch', () => {
    it('records a mixed batch atomically: one outcome and one event per new transfer id', async () => {
      const earlier = transfer({ amountMinor: 10n });
      await repo.postBatch([earlier]);
      const before = { transfers: await count('transfers'), outbox: await count('outbox') };
      const alice = await posted('alice');
      const bob = await posted('bob');

      const valid = transfer({ amountMinor: 100n, description: 'rent', metadata: { month: '03' } });
      const requests = [
        valid,
        transfer({ creditAccountId: 'nobody' }),
        transfer({ amountMinor: 1_000_000n }),
        transfer({ creditAccountId: 'euro' }),
        transfer({ creditAccountId: 'alice' }),
        transfer({ amountMinor: 0n }),
        transfer({ debitAccountId: 'world', creditAccountId: 'capped', amountMinor: 501n }),
        transfer({ creditAccountId: 'gone' }),
        { ...earlier, requestEventId: randomUUID() }, // re-delivered, recorded before
        { ...earlier, amountMinor: 11n }, // same id, different body
        { ...valid, requestEventId: randomUUID() }, // duplicate inside the batch
        { ...valid, creditAccountId: 'carol' }, // conflict inside the batch
        transfer({ debitAccountId: 'bob', creditAccountId: 'carol', amountMinor: 100n }), // sees `valid`
      ];
      const result = await repo.postBatch(requests);

      expect(result.results.map(summary)).toEqual([
        'APPLIED POSTED',
        `APPLIED REJECTED ${LedgerCode.ACCOUNT_NOT_FOUND}`,
        `APPLIED REJECTED ${LedgerCode.INSUFFICIENT_FUNDS}`,
        `APPLIED REJECTED ${LedgerCode.CURRENCY_MISMATCH}`,
        `APPLIED REJECTED ${LedgerCode.SAME_ACCOUNT}`,
        `APPLIED REJECTED ${LedgerCode.INVALID_AMOUNT}`,
        `APPLIED REJECTED ${LedgerCode.BOUND_EXCEEDED}`,
        `APPLIED REJECTED ${LedgerCode.ACCOUNT_CLOSED}`,
        'DUPLICATE POSTED',
        `CONFLICT ${LedgerCode.IDEMPOTENCY_CONFLICT}`,
        'DUPLICATE POSTED',
        `CONFLICT ${LedgerCode.IDEMPOTENCY_CONFLICT}`,
        'APPLIED POSTED',
      ]);
      expect(result.counts).toEqual({ accepted: 2, rejected: 7, duplicates: 2, conflicts: 2 });
      expect(result.eventsWritten).toBe(9);
      expect(result.attempts).toBe(1);

      // Balances after are returned with the write (and replayed with duplicates).
      const first = outcome(result.results[0]);
      expect(first.debitBalanceAfter).toEqual({
        postedMinor: alice - 100n,
        pendingDebitsMinor: 0n,
        pendingCreditsMinor: 0n,
        availableMinor: alice - 100n,
      });
      expect(outcome(result.results[10])).toEqual(first);
      expect(outcome(result.results[9]).amountMinor).toBe(10n);
      expect(outcome(result.results[12]).debitBalanceAfter?.postedMinor).toBe(bob);

      // Exactly the new outcomes were written: 9 transfers, 9 events, nothing for replays.
      expect(await count('transfers')).toBe(before.transfers + 9);
      const events = (await outbox()).slice(before.outbox);
      expect(events).toHaveLength(9);
      const newIds = requests.slice(0, 8).map((r) => r.transferId);
      newIds.push(requests[12]?.transferId ?? '');
      expect(events.map((e) => e.msg_key)).toEqual(newIds);
      for (const e of events) {
        expect(e.event_id).toBe(outcomeEventId(e.msg_key));
        const type = e.topic === TOPICS.transferPosted.name ? postedType : rejectedType;
        expect(type.isValid(e.payload)).toBe(true);
        expect(e.payload.eventId).toBe(e.event_id);
      }
      expect(events.map((e) => e.topic)).toEqual([
        TOPICS.transferPosted.name,
        ...Array<string>(7).fill(TOPICS.transferRejected.name),
        TOPICS.transferPosted.name,
      ]);
      expect(events[2]?.payload).toMatchObject({
        code: LedgerCode.INSUFFICIENT_FUNDS,
        amountMinor: 1_000_000,
        sourceSystem: 'checkout',
      });

      // The stored outcome is what getTransfer returns.
      const view = await repo.getTransfer(valid.transferId);
      expect(view).toMatchObject({
        status: 'POSTED',
        description: 'rent',
        metadata: { month: '03' },
        requestEventId: valid.requestEventId,
        pendingState: null,
        reversedMinor: 0n,
      });
      expect(view?.decidedAt).toEqual(result.decidedAt);

      // Re-running the very same batch changes nothing at all.
      const snapshot = {
        transfers: await count('transfers'),
        entries: await count('entries'),
        outbox: await count('outbox'),
        alice: await posted('alice'),
        carol: await posted('carol'),
      };
      const rerun = await repo.postBatch(requests);
      expect(rerun.counts).toEqual({ accepted: 0, rejected: 0, duplicates: 11, conflicts: 2 });
      expect(rerun.eventsWritten).toBe(0);
      expect(rerun.results.map((r) => outcome(r))).toEqual(result.results.map((r) => outcome(r)));
      expect({
        transfers: await count('transfers'),
        entries: await count('entries'),
        outbox: await count('outbox'),
        alice: await posted('alice'),
        carol: await posted('carol'),
      }).toEqual(snapshot);
    });

    it('throws on structurally invalid input without writing anything', async () => {
      const before = await count('transfers');
      await expect(
        repo.postBatch([transfer(), transfer({ transferId: 'not-a-uuid' })]),
      ).rejects.toThrow(LedgerInputError);
      expect(await count('transfers')).toBe(before);
    });

    it('gives up on an account held by a stuck transaction with a retriable error', async () => {
      const impatient = await initializeLedgerDataSource({ ...config, lockTimeoutMs: 200 });
      const blocker = new pg.Client({ connectionString: db.url });
      await blocker.connect();
      try {
        await blocker.query('BEGIN');
        await blocker.query(`SELECT 1 FROM ledger.balances WHERE account_id = 'carol' FOR UPDATE`);
        const failure = await new LedgerRepository(impatient)
          .postBatch([transfer({ debitAccountId: 'carol', amountMinor: 1n })])
          .then(
            () => undefined,
            (err: unknown) => err,
          );
        expect(failure).toBeInstanceOf(LedgerStoreError);
        expect(failure).toMatchObject({ retriable: true, sqlState: '55P03' });
      } finally {
        await blocker.query('ROLLBACK');
        await blocker.end();
        await impatient.destroy();
      }
    });

    it('handles an empty batch', async () => {
      const result = await repo.postBatch([]);
      expect(result.results).toEqual([]);
      expect(result.eventsWritten).toBe(0);
    });
  });

  describe('pending transfers', () => {
    it('reserves, then posts part of the reservation', async () => {
      const carol = await repo.getAccount('carol');
      const hold = transfer({
        kind: 'PENDING',
        debitAccountId: 'carol',
        amountMinor: 300n,
        timeoutSeconds: 3600,
      });
      const reserved = await repo.postBatch([hold]);
      const held = outcome(reserved.results[0]);
      expect(held.status).toBe('PENDING');
      expect(held.expiresAt?.getTime()).toBe(reserved.decidedAt.getTime() + 3_600_000);
      expect(held.debitBalanceAfter).toMatchObject({
        postedMinor: carol?.balance.postedMinor,
        pendingDebitsMinor: 300n,
        availableMinor: (carol?.balance.postedMinor ?? 0n) - 300n,
      });
      expect(await repo.getTransfer(hold.transferId)).toMatchObject({ pendingState: 'PENDING' });

      const post = transfer({
        kind: 'POST_PENDING',
        relatedTransferId: hold.transferId,
        amountMinor: 120n,
        debitAccountId: '',
        creditAccountId: '',
      });
      const settled = await repo.postBatch([post]);
      expect(outcome(settled.results[0])).toMatchObject({
        status: 'POSTED',
        debitAccountId: 'carol',
        creditAccountId: 'bob',
        amountMinor: 120n,
      });
      const after = await repo.getAccount('carol');
      expect(after?.balance).toMatchObject({
        postedMinor: (carol?.balance.postedMinor ?? 0n) - 120n,
        pendingDebitsMinor: 0n,
      });
      expect(await repo.getTransfer(hold.transferId)).toMatchObject({
        pendingState: 'POSTED',
        settledByTransferId: post.transferId,
        settledAt: settled.decidedAt,
      });
      const again = await repo.postBatch([
        transfer({ kind: 'POST_PENDING', relatedTransferId: hold.transferId, amountMinor: 0n }),
      ]);
      expect(outcome(again.results[0]).code).toBe(LedgerCode.PENDING_ALREADY_SETTLED);
    });

    it('reserves and voids in the same batch', async () => {
      const hold = transfer({ kind: 'PENDING', debitAccountId: 'carol', amountMinor: 200n });
      const result = await repo.postBatch([
        hold,
        transfer({ kind: 'VOID_PENDING', relatedTransferId: hold.transferId, amountMinor: 0n }),
      ]);
      expect(result.results.map(summary)).toEqual(['APPLIED PENDING', 'APPLIED VOIDED']);
      expect(await repo.getTransfer(hold.transferId)).toMatchObject({ pendingState: 'VOIDED' });
      expect((await repo.getAccount('carol'))?.balance.pendingDebitsMinor).toBe(0n);
    });

    it('expires a reservation once, with an EXPIRED event, after which it cannot be posted', async () => {
      const hold = transfer({
        kind: 'PENDING',
        debitAccountId: 'carol',
        amountMinor: 250n,
        timeoutSeconds: 5,
      });
      const reserved = await repo.postBatch([hold]);
      expect((await repo.getAccount('carol'))?.balance.pendingDebitsMinor).toBe(250n);

      expect((await repo.expirePending(reserved.decidedAt, 100)).expired).toEqual([]);
      const due = new Date(reserved.decidedAt.getTime() + 5000);
      const [first, second] = await Promise.all([
        repo.expirePending(due, 100),
        repo.expirePending(due, 100),
      ]);
      const expired = [...(first?.expired ?? []), ...(second?.expired ?? [])];
      expect(expired).toHaveLength(1);
      expect(expired[0]).toMatchObject({ transferId: hold.transferId, amountMinor: 250n });
      expect((await repo.getAccount('carol'))?.balance.pendingDebitsMinor).toBe(0n);
      expect(await repo.getTransfer(hold.transferId)).toMatchObject({ pendingState: 'EXPIRED' });

      const events = (await outbox()).filter((e) => e.msg_key === hold.transferId);
      expect(events.map((e) => [e.event_id, e.payload.status])).toEqual([
        [outcomeEventId(hold.transferId), 'PENDING'],
        [expiryEventId(hold.transferId), 'EXPIRED'],
      ]);
      expect(postedType.isValid(events[1]?.payload)).toBe(true);

      const late = await repo.postBatch([
        transfer({ kind: 'POST_PENDING', relatedTransferId: hold.transferId, amountMinor: 0n }),
      ]);
      expect(outcome(late.results[0]).code).toBe(LedgerCode.PENDING_EXPIRED);
    });
  });

  describe('reversals', () => {
    it('posts correcting transfers up to the original amount, never editing entries', async () => {
      const original = transfer({
        debitAccountId: 'carol',
        creditAccountId: 'bob',
        amountMinor: 90n,
      });
      await repo.postBatch([original]);
      const entriesBefore = await count('entries');
      const result = await repo.postBatch([
        transfer({ kind: 'REVERSAL', relatedTransferId: original.transferId, amountMinor: 40n }),
        transfer({ kind: 'REVERSAL', relatedTransferId: original.transferId, amountMinor: 0n }),
        transfer({ kind: 'REVERSAL', relatedTransferId: original.transferId, amountMinor: 0n }),
      ]);
      expect(result.results.map(summary)).toEqual([
        'APPLIED POSTED',
        'APPLIED POSTED',
        `APPLIED REJECTED ${LedgerCode.ALREADY_REVERSED}`,
      ]);
      expect(outcome(result.results[1])).toMatchObject({
        debitAccountId: 'bob',
        creditAccountId: 'carol',
        amountMinor: 50n,
      });
      expect(await count('entries')).toBe(entriesBefore + 4);
      expect((await repo.getTransfer(original.transferId))?.reversedMinor).toBe(90n);
      const later = await repo.postBatch([
        transfer({ kind: 'REVERSAL', relatedTransferId: original.transferId, amountMinor: 1n }),
      ]);
      expect(outcome(later.results[0]).code).toBe(LedgerCode.ALREADY_REVERSED);
    });
  });

  describe('reads', () => {
    it('pages through an account journal with a keyset cursor, both ways', async () => {
      await repo.createAccounts([
        { id: 'pager', currency: 'USD', minBalanceMinor: null, sourceSystem: 't' },
      ]);
      for (let i = 1; i <= 3; i++) {
        await repo.postBatch(
          Array.from({ length: 4 }, () =>
            transfer({ debitAccountId: 'pager', creditAccountId: 'bob', amountMinor: BigInt(i) }),
          ),
        );
      }
      const seen: bigint[] = [];
      let cursor: string | null = null;
      for (let pages = 0; pages < 10; pages++) {
        const page = await repo.listEntries('pager', { limit: 5, cursor });
        if (page === undefined) throw new Error('pager missing');
        seen.push(...page.entries.map((e) => e.seq));
        cursor = page.nextCursor;
        if (cursor === null) break;
      }
      expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => BigInt(i + 1)));

      const newest = await repo.listEntries('pager', { limit: 2, order: 'desc' });
      expect(
        newest?.entries.map((e) => [e.seq, e.balanceAfterMinor, e.side, e.counterpartyAccountId]),
      ).toEqual([
        [12n, -24n, 'DEBIT', 'bob'],
        [11n, -21n, 'DEBIT', 'bob'],
      ]);
      const older = await repo.listEntries('pager', {
        limit: 100,
        order: 'desc',
        cursor: newest?.nextCursor ?? null,
      });
      expect(older?.entries).toHaveLength(10);
      expect(older?.nextCursor).toBeNull();
      expect(await repo.listEntries('nobody', { limit: 5 })).toBeUndefined();
      await expect(repo.listEntries('pager', { limit: 5, cursor: 'x' })).rejects.toThrow(
        LedgerInputError,
      );
    });

    it('answers the posted balance as of a past time from the journal', async () => {
      await repo.createAccounts([
        { id: 'history', currency: 'USD', minBalanceMinor: null, sourceSystem: 't' },
      ]);
      const beforeAny = new Date();
      const times: Date[] = [];
      for (const amount of [100n, 250n, 5n]) {
        const r = await repo.postBatch([
          transfer({ debitAccountId: 'history', creditAccountId: 'bob', amountMinor: amount }),
        ]);
        times.push(r.decidedAt);
      }
      expect(
        await repo.getBalanceAt('history', new Date(beforeAny.getTime() - 1000)),
      ).toMatchObject({
        postedMinor: 0n,
        entrySeq: 0n,
        entryPostedAt: null,
      });
      const [t1, t2, t3] = times;
      if (t1 === undefined || t2 === undefined || t3 === undefined)
        throw new Error('missing times');
      expect((await repo.getBalanceAt('history', t1))?.postedMinor).toBe(-100n);
      // Batches that decided within the same millisecond share a timestamp.
      expect((await repo.getBalanceAt('history', t2))?.postedMinor).toBe(
        t3.getTime() === t2.getTime() ? -355n : -350n,
      );
      expect(await repo.getBalanceAt('history', new Date(t3.getTime() + 60_000))).toMatchObject({
        postedMinor: -355n,
        entrySeq: 3n,
        entryPostedAt: t3,
      });
      expect(await repo.getBalanceAt('nobody', new Date())).toBeUndefined();
    });

    it('returns undefined for unknown accounts and transfers', async () => {
      expect(await repo.getAccount('nobody')).toBeUndefined();
      expect(await repo.getTransfer(randomUUID())).toBeUndefined();
      expect(await repo.getTransfer('not-a-uuid')).toBeUndefined();
    });
  });
});
