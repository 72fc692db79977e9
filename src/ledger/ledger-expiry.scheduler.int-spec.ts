import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Registry } from 'prom-client';
import { type DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { type TransferRequest } from './domain/transfer.js';
import { LedgerExpiryScheduler } from './ledger-expiry.scheduler.js';
import { initializeLedgerDataSource } from './ledger.data-source.js';
import { LedgerMetrics } from './ledger.metrics.js';
import { LedgerRepository } from './ledger.repository.js';

function pending(timeoutSeconds: number): TransferRequest {
  return {
    transferId: randomUUID(),
    kind: 'PENDING',
    debitAccountId: 'alice',
    creditAccountId: 'bob',
    amountMinor: 10n,
    currency: 'USD',
    relatedTransferId: null,
    timeoutSeconds,
    sourceSystem: 'test',
    requestEventId: null,
    requestedAt: new Date(),
    description: null,
    metadata: {},
  };
}

describe('LedgerExpiryScheduler (PostgreSQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let repo: LedgerRepository;

  beforeAll(async () => {
    db = await createTestDatabase('ledger_expiry');
    dataSource = await initializeLedgerDataSource({
      url: db.url,
      poolMax: 4,
      ssl: false,
      applicationName: 'expiry-test',
    });
    repo = new LedgerRepository(dataSource);
    await repo.createAccounts([
      { id: 'alice', currency: 'USD', minBalanceMinor: null, sourceSystem: 'test' },
      { id: 'bob', currency: 'USD', sourceSystem: 'test' },
    ]);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('sweeps only while it holds the sweep lock, so instances take turns', async () => {
    const metrics = new LedgerMetrics(new Registry());
    const a = new LedgerExpiryScheduler(dataSource, repo, metrics, { intervalMs: 0, batch: 2 });
    const b = new LedgerExpiryScheduler(dataSource, repo, metrics, { intervalMs: 0, batch: 2 });
    await repo.postBatch([pending(1), pending(1), pending(1), pending(0)]);
    const later = (): Date => new Date(Date.now() + 5000);

    // Another instance (here: a plain session) holds the lock: this one skips the tick.
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    await other.query('SELECT pg_advisory_lock($1)', [0x1ed6e3]);
    expect(await a.sweep(later)).toBeUndefined();
    await other.end(); // a dead instance's lock goes with its session

    // Two sweeps at once: they take turns; each reservation expires exactly once, in batches.
    const [ra, rb] = await Promise.all([a.sweep(later), b.sweep(later)]);
    expect((ra ?? 0) + (rb ?? 0)).toBe(3);
    expect(await a.sweep(later)).toBe(0);
    const states = await dataSource.query<Array<{ state: string; n: number }>>(
      'SELECT state, count(*)::int AS n FROM ledger.pending_transfers GROUP BY state ORDER BY state',
    );
    expect(states).toEqual([
      { state: 'EXPIRED', n: 3 },
      { state: 'PENDING', n: 1 },
    ]);
    const events = await dataSource.query<Array<{ n: number }>>(
      "SELECT count(*)::int AS n FROM ledger.outbox WHERE payload->>'status' = 'EXPIRED'",
    );
    expect(events[0]?.n).toBe(3);
    const counted = (await metrics.transfers.get()).values.find(
      (v) => v.labels.outcome === 'expired',
    );
    expect(counted?.value).toBe(3);
  });

  it('runs on its timer and stops cleanly', async () => {
    const metrics = new LedgerMetrics(new Registry());
    const scheduler = new LedgerExpiryScheduler(dataSource, repo, metrics, {
      intervalMs: 50,
      batch: 100,
    });
    await repo.postBatch([pending(1)]);
    scheduler.start();
    const deadline = Date.now() + 10_000;
    let expired = 0;
    while (expired === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expired =
        (await metrics.transfers.get()).values.find((v) => v.labels.outcome === 'expired')?.value ??
        0;
    }
    await scheduler.stop();
    expect(expired).toBe(1);
    const sweeps = (await metrics.expirySweeps.get()).values.find((v) => v.labels.result === 'ran');
    expect(sweeps?.value).toBeGreaterThan(0);
  });
});
