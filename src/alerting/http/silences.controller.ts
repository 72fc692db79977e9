import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import {
  ApiBody,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { RequireScopes } from '../../platform/auth/auth.guard.js';
import { validateSilence } from '../domain/index.js';
import { parseDuration } from '../domain/rules/duration.js';
import { EngineHost } from '../engine/engine-host.js';
import { type SilenceRow } from '../persistence/alerting.store.js';
import {
  engineCall,
  errorSchema,
  httpError,
  principalName,
  type PrincipalRequest,
} from './http-errors.js';
import { silenceView } from './views.js';

type Req = PrincipalRequest;

const silenceSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    matchers: { type: 'array', items: { type: 'object' } },
    startsAt: { type: 'string', format: 'date-time' },
    endsAt: { type: 'string', format: 'date-time' },
    state: { type: 'string', enum: ['pending', 'active', 'expired'] },
    createdBy: { type: 'string' },
    comment: { type: 'string' },
  },
};

/**
 * Silences after Alertmanager: label matchers plus a window. While one matches a firing alert,
 * its notifications are held back; when it ends or is expired, a still-firing alert is
 * notified at once.
 */
@ApiTags('silences')
@ApiSecurity('api-key')
@Controller('silences')
export class SilencesController {
  constructor(@Inject(EngineHost) private readonly host: EngineHost) {}

  @Post()
  @HttpCode(201)
  @RequireScopes('alerts:write')
  @ApiOperation({
    summary: 'Create a silence',
    description:
      'matchers: ["alertname=oom", "host=~node-[0-9]+"] or [{name, op, value}]; startsAt defaults to now; endsAt or duration ("2h") required; at most 90 days. Scope alerts:write.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['matchers'],
      properties: {
        matchers: { type: 'array', items: {} },
        startsAt: { type: 'string', format: 'date-time' },
        endsAt: { type: 'string', format: 'date-time' },
        duration: { type: 'string', example: '2h' },
        comment: { type: 'string' },
      },
    },
  })
  @ApiResponse({ status: 201, schema: silenceSchema })
  @ApiResponse({ status: 400, schema: errorSchema })
  async create(@Body() body: unknown, @Req() req: Req): Promise<Record<string, unknown>> {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw httpError(400, 'VALIDATION.FAILED', 'body must be a JSON object');
    const raw = { ...(body as Record<string, unknown>) };
    const now = this.host.clock();
    raw['id'] ??= randomUUID();
    raw['createdBy'] ??= principalName(req);
    raw['startsAt'] ??= now;
    if (raw['endsAt'] === undefined && typeof raw['duration'] === 'string') {
      const d = parseDuration(raw['duration']);
      const start =
        typeof raw['startsAt'] === 'number' ? raw['startsAt'] : Date.parse(String(raw['startsAt']));
      if (d !== null && d > 0 && Number.isFinite(start)) raw['endsAt'] = start + d;
      else
        throw httpError(400, 'VALIDATION.FAILED', 'invalid silence', [
          {
            field: 'duration',
            code: 'SILENCE.INVALID_DURATION',
            message: 'duration like "30m" or "2h"',
          },
        ]);
    }
    delete raw['duration'];
    const res = validateSilence(raw);
    if (!res.ok) throw httpError(400, 'VALIDATION.FAILED', 'invalid silence', res.errors);
    const s = res.value.silence;
    if (this.host.silences.some((x) => x.id === s.id) || (await this.host.store.getSilence(s.id)))
      throw httpError(409, 'SILENCE.EXISTS', `silence ${s.id} exists`);
    const row: SilenceRow = { ...s, matchers: [...s.matchers], createdAt: now, expiredBy: null };
    await engineCall(() => this.host.putSilence(row, res.value));
    return silenceView(row, now);
  }

  @Get()
  @RequireScopes('alerts:read')
  @ApiOperation({ summary: 'List silences (newest end first)', description: 'Scope alerts:read.' })
  @ApiQuery({ name: 'state', required: false, enum: ['active', 'pending', 'expired'] })
  @ApiResponse({
    status: 200,
    schema: { type: 'object', properties: { items: { type: 'array', items: silenceSchema } } },
  })
  async list(@Query('state') state?: string): Promise<Record<string, unknown>> {
    if (state !== undefined && !['active', 'pending', 'expired'].includes(state))
      throw httpError(400, 'VALIDATION.FAILED', 'invalid query', [
        { field: 'state', code: 'QUERY.INVALID', message: 'state is active, pending or expired' },
      ]);
    const rows = await this.host.store.listSilences(
      (state as 'active' | 'pending' | 'expired' | undefined) ?? null,
    );
    const now = this.host.clock();
    return { items: rows.map((r) => silenceView(r, now)) };
  }

  @Get(':id')
  @RequireScopes('alerts:read')
  @ApiOperation({ summary: 'One silence' })
  @ApiResponse({ status: 200, schema: silenceSchema })
  async get(@Param('id') id: string): Promise<Record<string, unknown>> {
    const row = await this.host.store.getSilence(id);
    if (!row) throw httpError(404, 'SILENCE.NOT_FOUND', `no silence ${id}`);
    return silenceView(row, this.host.clock());
  }

  @Delete(':id')
  @HttpCode(200)
  @RequireScopes('alerts:write')
  @ApiOperation({
    summary: 'Expire a silence now',
    description: 'Alerts it held back that still fire are notified at once. Scope alerts:write.',
  })
  @ApiResponse({ status: 200, schema: silenceSchema })
  @ApiResponse({ status: 404, schema: errorSchema })
  async expire(@Param('id') id: string, @Req() req: Req): Promise<Record<string, unknown>> {
    const row = await this.host.store.getSilence(id);
    if (!row) throw httpError(404, 'SILENCE.NOT_FOUND', `no silence ${id}`);
    const now = this.host.clock();
    if (row.endsAt <= now) return silenceView(row, now);
    const expired: SilenceRow = {
      ...row,
      startsAt: Math.min(row.startsAt, now - 1),
      endsAt: now,
      expiredBy: principalName(req),
    };
    const res = validateSilence({ ...expired });
    if (!res.ok) throw httpError(400, 'VALIDATION.FAILED', 'invalid silence', res.errors);
    await engineCall(() => this.host.putSilence(expired, res.value));
    return silenceView(expired, now);
  }
}
