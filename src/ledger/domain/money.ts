/**
 * Money is an integer number of minor units (cents for USD) held as `bigint`, never a float.
 * Conversion to and from JS numbers happens only at the edge: Avro `long`s arrive and leave as
 * JS numbers, which are exact only up to 2^53 - 1.
 */

/**
 * Largest amount a single transfer may move, and the largest magnitude a balance may reach: every
 * amount and balance travels in an Avro `long` that JS code reads as a number. avsc, our Avro
 * library, encodes a long given as a number only within ±9007199254740990 (2^53 - 2, one short
 * of Number.MAX_SAFE_INTEGER), so that is the limit. It is about 90 trillion dollars in cents.
 */
export const MAX_AMOUNT_MINOR = 9_007_199_254_740_990n;

/** Largest value a PostgreSQL `bigint` column (the running debit/credit totals) can hold. */
export const INT64_MAX = 2n ** 63n - 1n;

/** Exact conversion of a JS number of minor units; undefined unless it is a safe integer. */
export function minorFromNumber(value: number): bigint | undefined {
  return Number.isSafeInteger(value) ? BigInt(value) : undefined;
}

/**
 * Converts minor units for an Avro `long`. The domain keeps every amount and balance it emits
 * within ±MAX_AMOUNT_MINOR, so a value outside is a programming error, not bad input.
 */
export function minorToNumber(value: bigint): number {
  if (value > MAX_AMOUNT_MINOR || value < -MAX_AMOUNT_MINOR) {
    throw new RangeError(`amount ${value} does not fit in a JS number exactly`);
  }
  return Number(value);
}

/** Parses a decimal integer string of minor units (as PostgreSQL returns `bigint`). */
export function minorFromString(value: string): bigint {
  if (!/^-?\d+$/.test(value)) throw new RangeError(`not an integer amount: "${value}"`);
  return BigInt(value);
}

/** ISO 4217 alphabetic code shape: three upper-case letters. */
export function isCurrencyCode(value: string): boolean {
  return /^[A-Z]{3}$/.test(value);
}

/**
 * Number of minor-unit digits of a currency (2 for USD, 0 for JPY, 3 for KWD), from the ISO 4217
 * data built into the runtime's Intl; 2 when the runtime does not know the code.
 */
export function currencyScale(currency: string): number {
  try {
    const digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
      .maximumFractionDigits;
    return digits ?? 2;
  } catch {
    return 2;
  }
}

/** Renders minor units as a decimal string for messages: formatMinor(-1234n, 2) === '-12.34'. */
export function formatMinor(amount: bigint, scale: number): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(scale + 1, '0');
  const whole = scale === 0 ? digits : digits.slice(0, digits.length - scale);
  const fraction = scale === 0 ? '' : `.${digits.slice(digits.length - scale)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}
