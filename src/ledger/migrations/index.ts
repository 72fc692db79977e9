import { CreateLedgerTables1795368000000 } from './1795368000000-create-ledger-tables.js';

/** Every ledger migration, oldest first. Add new ones at the end; never edit a released one. */
export const LEDGER_MIGRATIONS = [CreateLedgerTables1795368000000];
