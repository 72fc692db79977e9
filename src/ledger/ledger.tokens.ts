/** Injection tokens of the ledger service. */
export const LEDGER_DATA_SOURCE = Symbol('LEDGER_DATA_SOURCE');
export const LEDGER_CONFIG = Symbol('LEDGER_CONFIG');
