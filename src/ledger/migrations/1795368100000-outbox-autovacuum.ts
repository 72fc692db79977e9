import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Autovacuum settings for the ledger's queue-like tables. Autovacuum's default trigger (20% of the
 * table dead) suits tables that are mostly read; the outbox is a queue whose every row is updated
 * once (marked published) and whose partial index of unpublished rows the relay walks on every
 * round, dead entries included, until a VACUUM removes them. Vacuum it after a fixed number of
 * dead rows instead. (Where autovacuum is off, LedgerOutboxVacuum does the same from the service.)
 */
export class OutboxAutovacuum1795368100000 implements MigrationInterface {
  readonly name = 'OutboxAutovacuum1795368100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ledger.outbox SET (
        autovacuum_vacuum_scale_factor = 0,
        autovacuum_vacuum_threshold = 20000,
        autovacuum_analyze_scale_factor = 0.05);
      ALTER TABLE ledger.pending_transfers SET (
        autovacuum_vacuum_scale_factor = 0,
        autovacuum_vacuum_threshold = 20000);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE ledger.outbox RESET (
        autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold,
        autovacuum_analyze_scale_factor);
      ALTER TABLE ledger.pending_transfers RESET (
        autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);
    `);
  }
}
