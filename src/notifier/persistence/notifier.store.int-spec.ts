import type pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../../test/support/db.js';
import { migrate } from '../../platform/database/migrations.js';
import { NOTIFIER_MIGRATIONS, NOTIFIER_SCHEMA } from './migrations.js';
import { NotifierStore } from './notifier.store.js';

/**
 * The delivery's trace context lives in its own column (migration 2). Rows written before kept it
 * inside the notification document under "_traceHeaders": the migration moves it over, so a
 * delivery queued before an upgrade is still sent with its trace context after it.
 */
describe('NotifierStore deliveries and their trace context (PostgreSQL)', () => {
  let db: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await createTestDatabase('notifier_store');
    pool = db.pool(2);
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('moves the trace context of rows written before migration 2 into its column', async () => {
    await migrate(pool, NOTIFIER_SCHEMA, NOTIFIER_MIGRATIONS.slice(0, 1));
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const insert = (id: string, notification: Record<string, unknown>): Promise<unknown> =>
      pool.query(
        `INSERT INTO notifier.deliveries (notification_id, subscription_id, receiver_type,
           group_key, notification, alert_count, created_at, next_attempt_at)
         VALUES ($1, 'sub', 'webhook', 'g', $2, 0, now(), now())`,
        [id, JSON.stringify(notification)],
      );
    await insert('5a0c3c1e-0000-4000-8000-000000000001', {
      id: '5a0c3c1e-0000-4000-8000-000000000001',
      alerts: [],
      _traceHeaders: { traceparent },
    });
    await insert('5a0c3c1e-0000-4000-8000-000000000002', {
      id: '5a0c3c1e-0000-4000-8000-000000000002',
      alerts: [],
    });

    expect(await migrate(pool, NOTIFIER_SCHEMA, NOTIFIER_MIGRATIONS)).toEqual([2]);
    const store = new NotifierStore(pool);
    const deliveries = await store.listDeliveries({ statuses: [], limit: 10 });
    const byId = new Map(deliveries.map((d) => [d.notificationId, d]));
    const traced = byId.get('5a0c3c1e-0000-4000-8000-000000000001');
    expect(traced?.traceHeaders).toEqual({ traceparent });
    expect(traced?.notification).not.toHaveProperty('_traceHeaders');
    expect(byId.get('5a0c3c1e-0000-4000-8000-000000000002')?.traceHeaders).toEqual({});
  });
});
