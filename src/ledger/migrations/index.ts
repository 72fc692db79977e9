import { CreateLedgerTables1795368000000 } from './1795368000000-create-ledger-tables.js';
import { OutboxAutovacuum1795368100000 } from './1795368100000-outbox-autovacuum.js';
import { OutboxEncodedValue1795368200000 } from './1795368200000-outbox-encoded-value.js';
import { OutboxRetryIndex1795368300000 } from './1795368300000-outbox-retry-index.js';

/** Every ledger migration, oldest first. Add new ones at the end; never edit a released one. */
export const LEDGER_MIGRATIONS = [
  CreateLedgerTables1795368000000,
  OutboxAutovacuum1795368100000,
  OutboxEncodedValue1795368200000,
  OutboxRetryIndex1795368300000,
];
