import {
  type CanActivate,
  Controller,
  type ExecutionContext,
  Get,
  Inject,
  Injectable,
  Query,
  Req,
  UseGuards,
} from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { ApiKeyVerifier, hasScope } from '../platform/auth/api-keys.js';
import { Public } from '../platform/auth/auth.guard.js';
import { type GatewayRequest } from './admission.guard.js';
import { parseMonth, utcMonth } from './domain/months.js';
import { TokenBuckets } from './domain/token-bucket.js';
import { type GatewayConfig } from './gateway.config.js';
import { GATEWAY_CONFIG } from './gateway.tokens.js';
import { httpError } from './http-errors.js';
import { GATEWAY_SCOPES } from './streams.js';
import { UsageMeter } from './usage-meter.js';

/**
 * GET /v1/usage needs an API key holding ANY gateway scope (or `admin`), which the platform's
 * all-of `@RequireScopes` cannot say. So the route opts out of the global guard with `@Public()`
 * and this guard authenticates instead, with the same verifier and the same 401/403 bodies:
 * the route is not open.
 */
@Injectable()
export class AnyGatewayScopeGuard implements CanActivate {
  constructor(@Inject(ApiKeyVerifier) private readonly verifier: ApiKeyVerifier) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<GatewayRequest>();
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    };
    const auth = header('authorization');
    const raw = header('x-api-key') ?? (auth?.startsWith('ApiKey ') ? auth.slice(7) : undefined);
    const record = raw ? await this.verifier.verify(raw) : undefined;
    if (!record) {
      throw httpError(
        401,
        'AUTH.MISSING_OR_INVALID_CREDENTIALS',
        'send a valid API key in x-api-key (or Authorization: ApiKey <key>)',
      );
    }
    if (!GATEWAY_SCOPES.some((s) => hasScope(record.scopes, s))) {
      throw httpError(
        403,
        'AUTH.INSUFFICIENT_SCOPE',
        `credentials lack any of ${GATEWAY_SCOPES.join(', ')}`,
      );
    }
    req.principal = { kind: 'api-key', id: record.id, scopes: record.scopes, apiKey: record };
    return true;
  }
}

@ApiTags('usage')
@ApiSecurity('api-key')
@Controller('v1')
@Public()
@UseGuards(AnyGatewayScopeGuard)
export class UsageController {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(UsageMeter) private readonly meter: UsageMeter,
    @Inject(TokenBuckets) private readonly buckets: TokenBuckets,
  ) {}

  @Get('usage')
  @ApiOperation({
    summary: "The caller's usage and limits",
    description:
      'Monthly requests counted for this API key (all gateway instances; this instance adds what it has not written yet) and its limits. Any gateway scope.',
  })
  @ApiQuery({ name: 'month', required: false, description: 'YYYY-MM (UTC); default: this month' })
  @ApiResponse({ status: 200, description: 'Usage and limits.' })
  async usage(
    @Req() req: GatewayRequest,
    @Query('month') monthParam?: string,
  ): Promise<Record<string, unknown>> {
    const principal = req.principal;
    const key = principal?.apiKey;
    if (!principal || !key) throw httpError(401, 'AUTH.MISSING_OR_INVALID_CREDENTIALS', 'no key');
    const now = Date.now();
    let month = utcMonth(now);
    if (monthParam !== undefined) {
      const parsed = typeof monthParam === 'string' ? parseMonth(monthParam) : undefined;
      if (!parsed) {
        throw httpError(400, 'VALIDATION.FAILED', 'month must be YYYY-MM', [
          { field: 'month', code: 'type', message: 'expected YYYY-MM' },
        ]);
      }
      month = parsed;
    }
    const used = await this.meter.usage(key.id, month.key);
    const rate = key.ratePerSecond ?? this.config.defaultRatePerSecond;
    const bucket = this.buckets.peek(key.id, rate, now);
    const quota = key.monthlyQuota;
    return {
      apiKeyId: key.id,
      name: key.name,
      scopes: key.scopes,
      period: { start: month.start.toISOString(), end: month.end.toISOString() },
      monthly: {
        used,
        limit: quota,
        remaining: quota === null ? null : Math.max(0, quota - used),
        counts: 'requests admitted after authentication and rate limit; 5xx refunded',
      },
      rate: {
        limitPerSecond: rate,
        burst: bucket.burst,
        remaining: bucket.remaining,
        scope: 'per gateway instance',
      },
    };
  }
}
