import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '../../platform/auth/auth.guard.js';
import { EngineHost } from '../engine/engine-host.js';

@ApiTags('engine')
@ApiSecurity('api-key')
@Controller('engine')
export class EngineStatusController {
  constructor(@Inject(EngineHost) private readonly host: EngineHost) {}

  @Get()
  @RequireScopes('alerts:read')
  @ApiOperation({
    summary: 'Engine status: watermark, caught up, applied offsets, rule set version, counters',
  })
  status(): Record<string, unknown> {
    return this.host.status();
  }
}
