/**
 * Whether a failure may go away by itself is a type, not a guess at the call site. Retriable
 * errors are retried with backoff a bounded number of times and never dead-lettered (the message
 * is fine; the world is not); permanent errors send the message to `<topic>.dlq` with a reason.
 */
export class RetriableError extends Error {
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetriableError';
  }
}

/** The message itself is bad: processing it again can never succeed. */
export class PermanentMessageError extends Error {
  readonly retriable = false;
  constructor(
    readonly reasonCode: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PermanentMessageError';
  }
}

/** Reason codes written to the DLQ (header `dlq-reason` and the envelope's reasonCode). */
export const DlqReason = {
  EMPTY: 'DECODE.EMPTY',
  BAD_MAGIC_BYTE: 'DECODE.BAD_MAGIC_BYTE',
  TRUNCATED: 'DECODE.TRUNCATED',
  UNKNOWN_SCHEMA_ID: 'DECODE.UNKNOWN_SCHEMA_ID',
  INCOMPATIBLE_SCHEMA: 'DECODE.INCOMPATIBLE_SCHEMA',
  INVALID_AVRO: 'DECODE.INVALID_AVRO',
  VALIDATION: 'VALIDATION.INVALID',
  HANDLER_FAILED: 'HANDLER.FAILED',
} as const;

const RETRIABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Classifies an error from any layer. PostgreSQL: connection classes (08), serialization
 * failures and deadlocks (40001, 40P01), admin shutdown / crash (57P0x), too many connections
 * (53300) are retriable. kafkajs marks its own errors with `retriable`.
 */
export function isRetriable(err: unknown): boolean {
  if (err instanceof RetriableError) return true;
  if (err instanceof PermanentMessageError) return false;
  if (typeof err !== 'object' || err === null) return false;
  const e = err as { retriable?: unknown; code?: unknown; name?: unknown; message?: unknown };
  if (e.retriable === true) return true;
  if (typeof e.code === 'string') {
    if (RETRIABLE_NODE_CODES.has(e.code)) return true;
    if (/^(08|40001|40P01|57P0|53300|55P03)/.test(e.code)) return true;
  }
  if (
    typeof e.message === 'string' &&
    /Connection terminated|timeout exceeded when trying to connect/i.test(e.message)
  ) {
    return true;
  }
  return false;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
