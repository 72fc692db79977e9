import { createHash } from 'node:crypto';

/**
 * Delivery retries: exponential backoff with jitter, bounded by attempts and by age, then a
 * dead-letter decision with a machine-readable reason. Pure: randomness comes from a
 * seedable generator; by default the jitter of attempt n of a notification is derived from
 * (idempotency key, n), so a restarted notifier computes the same schedule.
 */
export interface RetryPolicy {
  /** Attempts in total, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  /** Fraction of each delay that is random: 0 = none, 1 = "full jitter". */
  readonly jitter: number;
  /** Give up once this long has passed since the first attempt. */
  readonly maxAgeMs: number;
}

/** About 5 hours of retries: 1 s, 2 s, 4 s ... capped at 10 min. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 35,
  baseDelayMs: 1000,
  maxDelayMs: 10 * 60_000,
  factor: 2,
  jitter: 0.5,
  maxAgeMs: 24 * 3_600_000,
};

export type DeliveryOutcome =
  | { readonly kind: 'http'; readonly status: number; readonly retryAfterMs?: number | null }
  | { readonly kind: 'network'; readonly code: string }
  | { readonly kind: 'timeout' }
  | { readonly kind: 'forbidden_target'; readonly reason: string };

export type DeadLetterReason =
  | 'DELIVERY.REJECTED'
  | 'DELIVERY.RETRIES_EXHAUSTED'
  | 'DELIVERY.MAX_AGE_EXCEEDED'
  | 'DELIVERY.TARGET_FORBIDDEN';

export type RetryDecision =
  | { readonly action: 'delivered' }
  | { readonly action: 'retry'; readonly delayMs: number; readonly retryAt: number }
  | { readonly action: 'dead_letter'; readonly reason: DeadLetterReason; readonly message: string };

/** 2xx delivered; 408, 425, 429 and 5xx retriable; other statuses are refusals. */
export function classifyOutcome(o: DeliveryOutcome): 'delivered' | 'retriable' | 'permanent' {
  switch (o.kind) {
    case 'http':
      if (o.status >= 200 && o.status < 300) return 'delivered';
      if (o.status === 408 || o.status === 425 || o.status === 429 || o.status >= 500)
        return 'retriable';
      return 'permanent';
    case 'network':
    case 'timeout':
      return 'retriable';
    case 'forbidden_target':
      return 'permanent';
  }
}

/** mulberry32 seeded from any string or number. */
export function seededRandom(seed: string | number): () => number {
  let a = createHash('sha256').update(String(seed)).digest().readUInt32LE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Delay before attempt `attempt + 1`, after `attempt` failed attempts (attempt ≥ 1). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const exp = policy.baseDelayMs * Math.pow(policy.factor, Math.max(0, attempt - 1));
  const cap = Math.min(policy.maxDelayMs, exp);
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(cap * (1 - jitter) + cap * jitter * random());
}

export interface RetryInput {
  /** Attempts made so far, including the one whose outcome this is (≥ 1). */
  readonly attempt: number;
  readonly outcome: DeliveryOutcome;
  readonly firstAttemptAt: number;
  readonly now: number;
  /** Idempotency key; seeds the jitter unless `random` is given. */
  readonly key: string;
  readonly policy?: RetryPolicy;
  readonly random?: () => number;
}

export function decideRetry(input: RetryInput): RetryDecision {
  const policy = input.policy ?? DEFAULT_RETRY_POLICY;
  const kind = classifyOutcome(input.outcome);
  if (kind === 'delivered') return { action: 'delivered' };
  const what = describe(input.outcome);
  if (input.outcome.kind === 'forbidden_target') {
    return { action: 'dead_letter', reason: 'DELIVERY.TARGET_FORBIDDEN', message: what };
  }
  if (kind === 'permanent')
    return {
      action: 'dead_letter',
      reason: 'DELIVERY.REJECTED',
      message: `receiver refused: ${what}`,
    };
  if (input.attempt >= policy.maxAttempts) {
    return {
      action: 'dead_letter',
      reason: 'DELIVERY.RETRIES_EXHAUSTED',
      message: `${input.attempt} attempts failed; last: ${what}`,
    };
  }
  const random = input.random ?? seededRandom(`${input.key}:${input.attempt}`);
  let delayMs = backoffDelay(input.attempt, policy, random);
  if (
    input.outcome.kind === 'http' &&
    input.outcome.retryAfterMs !== undefined &&
    input.outcome.retryAfterMs !== null &&
    input.outcome.retryAfterMs > 0
  ) {
    delayMs = Math.min(policy.maxDelayMs, Math.max(delayMs, input.outcome.retryAfterMs));
  }
  const retryAt = input.now + delayMs;
  if (retryAt - input.firstAttemptAt > policy.maxAgeMs) {
    return {
      action: 'dead_letter',
      reason: 'DELIVERY.MAX_AGE_EXCEEDED',
      message: `still failing after ${Math.round((input.now - input.firstAttemptAt) / 1000)} s; last: ${what}`,
    };
  }
  return { action: 'retry', delayMs, retryAt };
}

/** Parses a Retry-After header (seconds or HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | undefined | null, now: number): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

function describe(o: DeliveryOutcome): string {
  switch (o.kind) {
    case 'http':
      return `HTTP ${o.status}`;
    case 'network':
      return `network error ${o.code}`;
    case 'timeout':
      return 'timeout';
    case 'forbidden_target':
      return `target not allowed: ${o.reason}`;
  }
}
