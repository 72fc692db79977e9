import {
  currencyScale,
  formatMinor,
  INT64_MAX,
  isCurrencyCode,
  MAX_AMOUNT_MINOR,
  minorFromNumber,
  minorFromString,
  minorToNumber,
} from './money.js';

describe('money', () => {
  it('converts only exact integers from JS numbers', () => {
    expect(minorFromNumber(0)).toBe(0n);
    expect(minorFromNumber(-42)).toBe(-42n);
    expect(minorFromNumber(Number.MAX_SAFE_INTEGER)).toBe(2n ** 53n - 1n);
    expect(minorFromNumber(Number.MAX_SAFE_INTEGER + 1)).toBeUndefined();
    expect(minorFromNumber(1.5)).toBeUndefined();
    expect(minorFromNumber(Number.NaN)).toBeUndefined();
  });

  it('converts to JS numbers only within what avsc can encode as a long (±(2^53 - 2))', () => {
    expect(MAX_AMOUNT_MINOR).toBe(2n ** 53n - 2n);
    expect(minorToNumber(MAX_AMOUNT_MINOR)).toBe(9007199254740990);
    expect(minorToNumber(-MAX_AMOUNT_MINOR)).toBe(-9007199254740990);
    expect(() => minorToNumber(MAX_AMOUNT_MINOR + 1n)).toThrow(RangeError);
    expect(() => minorToNumber(-MAX_AMOUNT_MINOR - 1n)).toThrow(RangeError);
  });

  it('parses PostgreSQL bigint text', () => {
    expect(minorFromString('9223372036854775807')).toBe(INT64_MAX);
    expect(minorFromString('-12')).toBe(-12n);
    expect(() => minorFromString('1.5')).toThrow(RangeError);
  });

  it('knows currency codes and their minor-unit digits', () => {
    expect(isCurrencyCode('USD')).toBe(true);
    expect(isCurrencyCode('usd')).toBe(false);
    expect(isCurrencyCode('US')).toBe(false);
    expect(currencyScale('USD')).toBe(2);
    expect(currencyScale('JPY')).toBe(0);
    expect(currencyScale('KWD')).toBe(3);
    expect(currencyScale('XYZ')).toBe(2);
  });

  it('formats minor units for messages', () => {
    expect(formatMinor(123456n, 2)).toBe('1234.56');
    expect(formatMinor(-5n, 2)).toBe('-0.05');
    expect(formatMinor(0n, 2)).toBe('0.00');
    expect(formatMinor(42n, 0)).toBe('42');
    expect(formatMinor(1n, 3)).toBe('0.001');
  });
});
