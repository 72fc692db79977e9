import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { outboxRetryIndexDdl } from '../../platform/outbox/outbox.writer.js';

/**
 * The relay holds back the keys of rows that failed to publish (retry backoff, parked). It found
 * them by scanning every unpublished row on every round of every lane; this partial index holds
 * only rows that failed at least once, so the lookup costs nothing while nothing fails.
 */
export class OutboxRetryIndex1795368300000 implements MigrationInterface {
  readonly name = 'OutboxRetryIndex1795368300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(outboxRetryIndexDdl('ledger'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX IF EXISTS ledger.outbox_retry_idx');
  }
}
