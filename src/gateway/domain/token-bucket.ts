/**
 * Per-key token buckets for the per-second rate limit. In process: each gateway instance limits
 * each key on its own (N instances behind a balancer admit up to N × rate). A bucket holds up to
 * `burst` tokens and refills at `ratePerSecond`; one request takes one token.
 */
export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly burst: number;
  /** Whole tokens left after this request. */
  readonly remaining: number;
  /** Seconds until the bucket is full again (RateLimit-Reset). */
  readonly resetSeconds: number;
  /** Seconds until one token is available (Retry-After when refused). */
  readonly retryAfterSeconds: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
  rate: number;
  burst: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly burstSeconds = 1,
    private readonly maxKeys = 100_000,
  ) {}

  take(key: string, ratePerSecond: number, nowMs: number, cost = 1): RateDecision {
    const rate = Math.max(ratePerSecond, 0.001);
    const burst = Math.max(1, Math.floor(rate * this.burstSeconds));
    let b = this.buckets.get(key);
    if (!b || b.rate !== rate || b.burst !== burst) {
      if (!b && this.buckets.size >= this.maxKeys) this.evictFull(nowMs);
      b = { tokens: b ? Math.min(b.tokens, burst) : burst, updatedAt: nowMs, rate, burst };
      this.buckets.set(key, b);
    }
    const elapsed = Math.max(0, nowMs - b.updatedAt) / 1000;
    b.tokens = Math.min(burst, b.tokens + elapsed * rate);
    b.updatedAt = nowMs;
    const allowed = b.tokens >= cost;
    if (allowed) b.tokens -= cost;
    const missing = burst - b.tokens;
    return {
      allowed,
      limit: rate,
      burst,
      remaining: Math.max(0, Math.floor(b.tokens)),
      resetSeconds: Math.max(0, Math.ceil(missing / rate)),
      retryAfterSeconds: allowed ? 0 : Math.max(1, Math.ceil((cost - b.tokens) / rate)),
    };
  }

  /** Current state without taking a token (for GET /v1/usage). */
  peek(key: string, ratePerSecond: number, nowMs: number): RateDecision {
    return this.take(key, ratePerSecond, nowMs, 0);
  }

  /** Buckets that refilled completely carry no information: drop them. */
  private evictFull(nowMs: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((nowMs - b.updatedAt) / 1000) * b.rate >= b.burst) this.buckets.delete(key);
    }
  }
}
