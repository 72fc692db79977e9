import pg from 'pg';
import { Registry } from 'prom-client';
import { type DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '../../test/support/db.js';
import { LedgerOutboxVacuum, VACUUM_LOCK_KEY } from './ledger-outbox-vacuum.js';
import { initializeLedgerDataSource } from './ledger.data-source.js';
import { LedgerMetrics } from './ledger.metrics.js';

describe('LedgerOutboxVacuum (PostgreSQL)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('ledger_vacuum');
    dataSource = await initializeLedgerDataSource({
      url: db.url,
      poolMax: 3,
      ssl: false,
      applicationName: 'vacuum-test',
    });
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  async function deadTuples(): Promise<number> {
    // Statistics reach pg_stat_user_tables asynchronously; ask for a fresh snapshot.
    const rows = await dataSource.query<Array<{ dead: number }>>(
      `SELECT pg_stat_clear_snapshot(), n_dead_tup::int AS dead FROM pg_stat_user_tables
        WHERE schemaname = 'ledger' AND relname = 'outbox'`,
    );
    return rows[0]?.dead ?? -1;
  }

  it('vacuums the outbox once published rows left enough dead tuples, one instance at a time', async () => {
    const metrics = new LedgerMetrics(new Registry());
    const vacuum = new LedgerOutboxVacuum(dataSource, metrics, { intervalMs: 0, deadRows: 500 });
    await dataSource.query(
      `INSERT INTO ledger.outbox (event_id, topic, msg_key, payload)
       SELECT gen_random_uuid(), 'ledger.transfer-posted', i::text, '{}'::jsonb
         FROM generate_series(1, 2000) AS i`,
    );
    expect(await vacuum.run()).toEqual([]); // inserts leave no dead tuples
    // What the relay does: mark rows published, which leaves the old versions dead.
    await dataSource.query('UPDATE ledger.outbox SET published_at = now()');
    const deadline = Date.now() + 15_000;
    while ((await deadTuples()) < 500 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    await other.query('SELECT pg_advisory_lock($1)', [VACUUM_LOCK_KEY]);
    expect(await vacuum.run()).toBeUndefined(); // another instance is at it
    await other.end();

    expect(await vacuum.run()).toEqual(['outbox']);
    const after = Date.now() + 15_000;
    while ((await deadTuples()) > 0 && Date.now() < after) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await deadTuples()).toBe(0);
    const counted = (await metrics.vacuums.get()).values.find(
      (v) => v.labels.table === 'outbox' && v.labels.result === 'vacuumed',
    );
    expect(counted?.value).toBe(1);
  });
});
