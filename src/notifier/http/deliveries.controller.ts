import { Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '../../platform/auth/auth.guard.js';
import { DeliveryWorker } from '../delivery/delivery-worker.js';
import { type DeliveryRow } from '../persistence/notifier.store.js';
import { NotificationPipeline } from '../scheduling/notification-pipeline.js';
import { errorSchema, httpError } from './http-errors.js';

const STATUSES = ['pending', 'delivered', 'dead_lettered', 'cancelled'];

function list(v: unknown): string[] {
  if (v === undefined || v === '') return [];
  return (Array.isArray(v) ? v : [v])
    .flatMap((x) => String(x).split(','))
    .map((x) => x.trim())
    .filter(Boolean);
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function view(d: DeliveryRow): Record<string, unknown> {
  return {
    id: d.id,
    notificationId: d.notificationId,
    subscriptionId: d.subscriptionId,
    receiver: d.receiverType,
    groupKey: d.groupKey,
    status: d.status,
    notificationStatus: d.notification.status,
    alertCount: d.alertCount,
    alerts: d.notification.alerts.map((a) => ({
      alertId: a.alertId,
      eventId: a.eventId,
      ruleId: a.ruleId,
      status: a.status,
      fingerprint: a.fingerprint,
    })),
    attempts: d.attempts,
    createdAt: iso(d.createdAt),
    nextAttemptAt: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    lastAttemptAt: iso(d.lastAttemptAt),
    deliveredAt: iso(d.deliveredAt),
    lastStatus: d.lastStatus,
    lastError: d.lastError,
  };
}

/** The delivery log (every notification and its attempts) and the dead letters. */
@ApiTags('deliveries')
@ApiSecurity('api-key')
@Controller()
export class DeliveriesController {
  constructor(
    @Inject(NotificationPipeline) private readonly pipeline: NotificationPipeline,
    @Inject(DeliveryWorker) private readonly worker: DeliveryWorker,
  ) {}

  @Get('deliveries')
  @RequireScopes('notifications:read')
  @ApiOperation({ summary: 'Delivery log, newest first', description: 'Scope notifications:read.' })
  @ApiQuery({ name: 'subscription', required: false })
  @ApiQuery({ name: 'status', required: false, description: STATUSES.join(', ') })
  @ApiQuery({ name: 'limit', required: false, description: '1-1000, default 100' })
  @ApiQuery({
    name: 'before',
    required: false,
    description: 'delivery id: older than this (paging)',
  })
  @ApiResponse({ status: 400, schema: errorSchema })
  async list(@Query() q: Record<string, unknown>): Promise<Record<string, unknown>> {
    const statuses = list(q['status']);
    const errors = statuses
      .filter((s) => !STATUSES.includes(s))
      .map((s) => ({ field: 'status', code: 'QUERY.INVALID', message: `unknown status "${s}"` }));
    const limitRaw = typeof q['limit'] === 'string' ? q['limit'] : '100';
    const limit = /^\d+$/.test(limitRaw) ? Number(limitRaw) : NaN;
    if (!(limit >= 1 && limit <= 1000))
      errors.push({ field: 'limit', code: 'QUERY.INVALID', message: 'limit must be 1-1000' });
    const before = typeof q['before'] === 'string' ? q['before'] : undefined;
    if (before !== undefined && !/^\d+$/.test(before))
      errors.push({ field: 'before', code: 'QUERY.INVALID', message: 'before is a delivery id' });
    if (errors.length > 0) throw httpError(400, 'VALIDATION.FAILED', 'invalid query', errors);
    const rows = await this.pipeline.store.listDeliveries({
      ...(typeof q['subscription'] === 'string' ? { subscriptionId: q['subscription'] } : {}),
      statuses,
      limit,
      ...(before ? { beforeId: before } : {}),
    });
    const last = rows[rows.length - 1];
    return { items: rows.map(view), nextBefore: rows.length === limit && last ? last.id : null };
  }

  @Get('deliveries/:id')
  @RequireScopes('notifications:read')
  @ApiOperation({
    summary: 'One delivery with every attempt, its dead-letter record and the notification',
  })
  @ApiResponse({ status: 404, schema: errorSchema })
  async get(@Param('id') id: string): Promise<Record<string, unknown>> {
    const r = await this.pipeline.store.getDelivery(id);
    if (!r) throw httpError(404, 'DELIVERY.NOT_FOUND', `no delivery ${id}`);
    return {
      ...view(r.delivery),
      attemptLog: r.attempts,
      deadLetter: r.deadLetter,
      notification: r.delivery.notification,
    };
  }

  @Post('deliveries/:id/retry')
  @HttpCode(202)
  @RequireScopes('notifications:write')
  @ApiOperation({
    summary: 'Put a dead-lettered delivery back in its queue',
    description: 'Scope notifications:write.',
  })
  @ApiResponse({ status: 409, schema: errorSchema })
  async retry(@Param('id') id: string): Promise<Record<string, unknown>> {
    if (!/^\d+$/.test(id) || !(await this.pipeline.store.requeue(id, this.pipeline.clock())))
      throw httpError(409, 'DELIVERY.NOT_DEAD_LETTERED', `delivery ${id} is not dead-lettered`);
    this.worker.kick();
    return { id, status: 'pending' };
  }

  @Get('dead-letters')
  @RequireScopes('notifications:read')
  @ApiOperation({
    summary: 'Dead-letter records (deliveries given up on, with the reason), newest first',
  })
  @ApiQuery({ name: 'subscription', required: false })
  async deadLetters(
    @Query('subscription') subscription?: string,
    @Query('limit') limit?: string,
  ): Promise<Record<string, unknown>> {
    const n = limit && /^\d+$/.test(limit) ? Math.min(1000, Math.max(1, Number(limit))) : 100;
    return { items: await this.pipeline.store.listDeadLetters(subscription, n) };
  }
}
