import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { outboxEncodedValueDdl } from '../../platform/outbox/outbox.writer.js';

/**
 * Outbox rows carry the outcome event already encoded (Avro, Confluent wire format) in `value`:
 * PostgreSQL stores bytes instead of parsing a jsonb document per event, and the relay publishes
 * them as they are. Rows written before keep their `payload` and are still published.
 */
export class OutboxEncodedValue1795368200000 implements MigrationInterface {
  readonly name = 'OutboxEncodedValue1795368200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(outboxEncodedValueDdl('ledger'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DELETE FROM ledger.outbox WHERE payload IS NULL AND published_at IS NOT NULL;
      ALTER TABLE ledger.outbox DROP CONSTRAINT IF EXISTS outbox_payload_or_value;
      ALTER TABLE ledger.outbox DROP COLUMN value;
      ALTER TABLE ledger.outbox ALTER COLUMN payload SET NOT NULL;
    `);
  }
}
