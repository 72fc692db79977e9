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
import { RequireScopes } from '../../platform/auth/auth.guard.js';
import { alertState } from '../domain/index.js';
import { EngineHost } from '../engine/engine-host.js';
import { type AlertQuery } from '../persistence/alerting.store.js';
import {
  engineCall,
  errorSchema,
  httpError,
  listParam,
  principalName,
  type PrincipalRequest,
} from './http-errors.js';
import { alertView, decodeCursor, encodeCursor } from './views.js';

const STATES = ['firing', 'acknowledged', 'silenced', 'resolved', 'active'];
const SEVERITIES = ['critical', 'high', 'warning', 'info'];

const alertSchema = {
  type: 'object',
  properties: {
    alertId: { type: 'string', format: 'uuid' },
    fingerprint: { type: 'string' },
    ruleId: { type: 'string' },
    ruleName: { type: 'string' },
    ruleType: { type: 'string' },
    severity: { type: 'string', enum: SEVERITIES },
    state: { type: 'string', enum: ['firing', 'acknowledged', 'silenced', 'resolved'] },
    status: { type: 'string', enum: ['firing', 'resolved'] },
    groupKey: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    startsAt: { type: 'string', format: 'date-time' },
    endsAt: { type: 'string', format: 'date-time', nullable: true },
    lastMatchAt: { type: 'string', format: 'date-time', nullable: true },
    matchCount: { type: 'integer' },
    firstLines: { type: 'array', items: { type: 'object' } },
    lastLines: { type: 'array', items: { type: 'object' } },
    silencedBy: { type: 'array', items: { type: 'string' } },
    acknowledged: { type: 'object', nullable: true },
  },
};

type Req = PrincipalRequest;

/** Alerts (one row per episode): filter, read, acknowledge. */
@ApiTags('alerts')
@ApiSecurity('api-key')
@Controller('alerts')
export class AlertsController {
  constructor(@Inject(EngineHost) private readonly host: EngineHost) {}

  @Get()
  @RequireScopes('alerts:read')
  @ApiOperation({
    summary: 'List alerts, newest first',
    description:
      'Filters combine with AND; list filters take comma-separated values or repeated keys. `label=name=value` (repeatable) matches labels exactly. Scope alerts:read.',
  })
  @ApiQuery({
    name: 'state',
    required: false,
    description: `one or more of ${STATES.join(', ')} (active = not resolved)`,
  })
  @ApiQuery({ name: 'severity', required: false, description: SEVERITIES.join(', ') })
  @ApiQuery({ name: 'rule', required: false, description: 'rule id(s)' })
  @ApiQuery({ name: 'label', required: false, description: 'name=value, repeatable' })
  @ApiQuery({ name: 'fingerprint', required: false })
  @ApiQuery({ name: 'limit', required: false, description: '1-500, default 100' })
  @ApiQuery({ name: 'cursor', required: false, description: 'nextCursor of the previous page' })
  @ApiResponse({
    status: 200,
    schema: {
      type: 'object',
      properties: {
        items: { type: 'array', items: alertSchema },
        nextCursor: { type: 'string', nullable: true },
      },
    },
  })
  @ApiResponse({ status: 400, schema: errorSchema })
  async list(@Query() q: Record<string, unknown>): Promise<Record<string, unknown>> {
    const errors: Array<{ field: string; code: string; message: string }> = [];
    const states = listParam(q['state']);
    for (const s of states)
      if (!STATES.includes(s))
        errors.push({ field: 'state', code: 'QUERY.INVALID', message: `unknown state "${s}"` });
    const severities = listParam(q['severity']);
    for (const s of severities)
      if (!SEVERITIES.includes(s))
        errors.push({
          field: 'severity',
          code: 'QUERY.INVALID',
          message: `unknown severity "${s}"`,
        });
    const labels: Record<string, string> = {};
    for (const l of Array.isArray(q['label'])
      ? q['label']
      : q['label'] === undefined
        ? []
        : [q['label']]) {
      const text = String(l);
      const eq = text.indexOf('=');
      if (eq <= 0)
        errors.push({
          field: 'label',
          code: 'QUERY.INVALID',
          message: `"${text}" is not name=value`,
        });
      else labels[text.slice(0, eq)] = text.slice(eq + 1);
    }
    const limitRaw = typeof q['limit'] === 'string' ? q['limit'] : '100';
    const limit = /^\d+$/.test(limitRaw) ? Number(limitRaw) : NaN;
    if (!(limit >= 1 && limit <= 500))
      errors.push({ field: 'limit', code: 'QUERY.INVALID', message: 'limit must be 1-500' });
    const cursor = typeof q['cursor'] === 'string' ? decodeCursor(q['cursor']) : undefined;
    if (cursor === null)
      errors.push({ field: 'cursor', code: 'QUERY.INVALID', message: 'bad cursor' });
    if (errors.length > 0) throw httpError(400, 'VALIDATION.FAILED', 'invalid query', errors);
    const query: AlertQuery = {
      states,
      severities,
      rules: listParam(q['rule']),
      labels,
      ...(typeof q['fingerprint'] === 'string' ? { fingerprint: q['fingerprint'] } : {}),
      limit,
      ...(cursor ? { cursor } : {}),
    };
    const rows = await this.host.store.listAlerts(query);
    const lastRow = rows[rows.length - 1];
    return {
      items: rows.map((r) => alertView(r.state, r.record)),
      nextCursor:
        rows.length === limit && lastRow
          ? encodeCursor(lastRow.record.startsAt, lastRow.record.alertId)
          : null,
    };
  }

  @Get(':id')
  @RequireScopes('alerts:read')
  @ApiOperation({ summary: 'One alert, by alert id or (the latest episode of) a fingerprint' })
  @ApiResponse({ status: 200, schema: alertSchema })
  @ApiResponse({ status: 404, schema: errorSchema })
  async get(@Param('id') id: string): Promise<Record<string, unknown>> {
    const row = await this.host.store.getAlert(id);
    if (!row) throw httpError(404, 'ALERT.NOT_FOUND', `no alert ${id}`);
    return alertView(row.state, row.record);
  }

  @Post(':id/acknowledge')
  @HttpCode(200)
  @RequireScopes('alerts:write')
  @ApiOperation({
    summary: 'Acknowledge a firing alert (no further re-alert updates until it resolves)',
    description: 'Scope alerts:write. 409 when the alert is already resolved.',
  })
  @ApiBody({
    required: false,
    schema: { type: 'object', properties: { comment: { type: 'string', maxLength: 2048 } } },
  })
  @ApiResponse({ status: 200, schema: alertSchema })
  @ApiResponse({ status: 404, schema: errorSchema })
  @ApiResponse({ status: 409, schema: errorSchema })
  async acknowledge(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: Req,
  ): Promise<Record<string, unknown>> {
    const comment =
      typeof body === 'object' &&
      body !== null &&
      typeof (body as Record<string, unknown>)['comment'] === 'string'
        ? ((body as Record<string, unknown>)['comment'] as string).slice(0, 2048)
        : null;
    return this.ack(id, principalName(req), comment);
  }

  @Delete(':id/acknowledge')
  @HttpCode(200)
  @RequireScopes('alerts:write')
  @ApiOperation({ summary: 'Withdraw an acknowledgement', description: 'Scope alerts:write.' })
  @ApiResponse({ status: 200, schema: alertSchema })
  async unacknowledge(@Param('id') id: string): Promise<Record<string, unknown>> {
    return this.ack(id, null, null);
  }

  private async ack(
    id: string,
    by: string | null,
    comment: string | null,
  ): Promise<Record<string, unknown>> {
    const row = await this.host.store.getAlert(id);
    if (!row) throw httpError(404, 'ALERT.NOT_FOUND', `no alert ${id}`);
    if (row.record.status !== 'firing')
      throw httpError(409, 'ALERT.RESOLVED', `alert ${row.record.alertId} is resolved`);
    const rec = await engineCall(() => this.host.acknowledge(row.record.alertId, by, comment));
    if (!rec)
      throw httpError(409, 'ALERT.RESOLVED', `alert ${row.record.alertId} is no longer firing`);
    return alertView(alertState(rec), rec);
  }
}
