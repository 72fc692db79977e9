import { isLedgerCode, LedgerCode } from './result-codes.js';

describe('result codes', () => {
  it('are unique, stable LEDGER.* strings named after their key', () => {
    const entries = Object.entries(LedgerCode);
    for (const [key, code] of entries) expect(code).toBe(`LEDGER.${key}`);
    expect(new Set(Object.values(LedgerCode)).size).toBe(entries.length);
  });

  it('recognises its own codes only', () => {
    expect(isLedgerCode('LEDGER.INSUFFICIENT_FUNDS')).toBe(true);
    expect(isLedgerCode('LEDGER.NOPE')).toBe(false);
  });
});
