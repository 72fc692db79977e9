import { Controller, Get, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/auth.guard.js';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  type HealthCheckResult,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { errorMessage } from '../messaging/errors.js';
import { ReadinessRegistry } from './readiness.js';

/**
 * `/health/live`: the process answers (restart it if not). `/health/ready`: it can do its job —
 * the consumer is joined and fetching, the database and the schema registry answer. Both are
 * open (no auth), carry no business data, and answer 503 with the failing check named.
 */
@Public()
@ApiExcludeController()
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(HealthIndicatorService) private readonly indicators: HealthIndicatorService,
    @Inject(ReadinessRegistry) private readonly readiness: ReadinessRegistry,
  ) {}

  @Get('live')
  @HealthCheck()
  live(): Promise<HealthCheckResult> {
    return this.health.check([
      () =>
        this.indicators
          .check('process')
          .up({ pid: process.pid, uptimeSeconds: Math.round(process.uptime()) }),
    ]);
  }

  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    const checks = this.readiness.all().map((probe) => async (): Promise<HealthIndicatorResult> => {
      const session = this.indicators.check(probe.name);
      if (this.readiness.isShuttingDown) return session.down({ message: 'shutting down' });
      try {
        return session.up(await probe.check());
      } catch (err) {
        return session.down({ message: errorMessage(err) });
      }
    });
    return this.health.check(checks);
  }
}
