import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { type Principal } from '../platform/auth/auth.guard.js';
import { TokenBuckets } from './domain/token-bucket.js';
import { GATEWAY_CONFIG } from './gateway.tokens.js';
import { type GatewayConfig } from './gateway.config.js';
import { httpError } from './http-errors.js';
import { GatewayMetrics } from './gateway.metrics.js';
import { QuotaUnavailableError, UsageMeter } from './usage-meter.js';

export type GatewayRequest = FastifyRequest & { principal?: Principal; quotaCharged?: string };

/**
 * Runs after the platform's AuthGuard (global guards first), so the caller is known: applies
 * the per-second rate limit (token bucket per key, per instance), then the monthly quota
 * (UsageMeter). Both answer 429 with Retry-After; every admitted response carries
 * `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds until the bucket is full)
 * and `RateLimit-Policy` for the per-second limit, and `Quota-Limit` / `Quota-Remaining` /
 * `Quota-Reset` (seconds to the next UTC month) when the key has a monthly quota.
 */
@Injectable()
export class AdmissionGuard implements CanActivate {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(TokenBuckets) private readonly buckets: TokenBuckets,
    @Inject(UsageMeter) private readonly meter: UsageMeter,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<GatewayRequest>();
    const reply = http.getResponse<FastifyReply>();
    const principal = req.principal;
    if (!principal) throw httpError(401, 'AUTH.MISSING_OR_INVALID_CREDENTIALS', 'no credentials');
    const rate = principal.apiKey?.ratePerSecond ?? this.config.defaultRatePerSecond;
    const now = Date.now();
    const r = this.buckets.take(principal.id, rate, now);
    reply.header('RateLimit-Limit', String(r.burst));
    reply.header('RateLimit-Remaining', String(r.remaining));
    reply.header('RateLimit-Reset', String(r.resetSeconds));
    reply.header('RateLimit-Policy', `${r.burst};w=${this.config.rateBurstSeconds}`);
    if (!r.allowed) {
      this.metrics.rejected.inc({ reason: 'rate' });
      reply.header('Retry-After', String(r.retryAfterSeconds));
      throw httpError(
        429,
        'RATE.LIMITED',
        `rate limit of ${rate} requests/s for this key exceeded; retry after ${r.retryAfterSeconds} s`,
      );
    }
    const quota = principal.apiKey?.monthlyQuota ?? null;
    let q;
    try {
      q = await this.meter.admit(principal.id, quota, rate, now);
    } catch (err) {
      if (err instanceof QuotaUnavailableError) {
        reply.header('Retry-After', '1');
        throw httpError(503, 'QUOTA.UNAVAILABLE', 'usage accounting is unavailable; retry shortly');
      }
      throw err;
    }
    if (q.limit !== null) {
      reply.header('Quota-Limit', String(q.limit));
      reply.header('Quota-Remaining', String(Math.max(0, q.limit - q.used)));
      reply.header('Quota-Reset', String(q.resetSeconds));
    }
    if (!q.allowed) {
      this.metrics.rejected.inc({ reason: 'quota' });
      reply.header('Retry-After', String(q.retryAfterSeconds));
      reply.header('RateLimit-Limit', String(q.limit));
      reply.header('RateLimit-Remaining', '0');
      reply.header('RateLimit-Reset', String(q.resetSeconds));
      throw httpError(
        429,
        'QUOTA.EXCEEDED',
        `monthly quota of ${q.limit} requests for this key is used up; it resets at the start of the next UTC month`,
      );
    }
    req.quotaCharged = principal.id;
    return true;
  }
}
