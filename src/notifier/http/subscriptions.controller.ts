import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Req,
} from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse, ApiSecurity, ApiTags } from '@nestjs/swagger';
import { lookup } from 'node:dns/promises';
import { RequireScopes } from '../../platform/auth/auth.guard.js';
import {
  ALERTMANAGER_FIRING_TTL_MS,
  checkWebhookTarget,
  type CompiledSubscription,
  parseIp,
  validateSubscription,
} from '../domain/index.js';
import {
  NotificationPipeline,
  SubscriptionExistsError,
  type SubscriptionRuntime,
} from '../scheduling/notification-pipeline.js';
import {
  errorSchema,
  httpError,
  principalName,
  type PrincipalRequest,
  stateCall,
} from './http-errors.js';

type Req = PrincipalRequest;

const subscriptionBody = {
  schema: {
    type: 'object',
    required: ['id', 'receiver'],
    properties: {
      id: { type: 'string', example: 'team-storage' },
      name: { type: 'string' },
      enabled: { type: 'boolean', default: true },
      receiver: {
        type: 'object',
        description:
          '{type: "webhook", url, secret (≥ 16 chars; used for the HMAC signature, never returned)} or {type: "alertmanager"} (posts to the configured ALERTMANAGER_URL).',
        properties: {
          type: { type: 'string', enum: ['webhook', 'alertmanager'] },
          url: { type: 'string', format: 'uri' },
          secret: { type: 'string', writeOnly: true },
        },
      },
      filter: {
        type: 'object',
        properties: {
          minSeverity: { type: 'string', enum: ['info', 'warning', 'high', 'critical'] },
          ruleIds: { type: 'array', items: { type: 'string' } },
          matchers: { type: 'array', items: { type: 'string' }, example: ['team="storage"'] },
        },
      },
      route: {
        type: 'object',
        description: 'Alertmanager-style pacing; durations as ms or "30s".',
        properties: {
          groupBy: { type: 'array', items: { type: 'string' }, example: ['alertname'] },
          groupWait: { type: 'string', example: '30s' },
          groupInterval: { type: 'string', example: '5m' },
          repeatInterval: { type: 'string', example: '4h' },
        },
      },
      sendResolved: { type: 'boolean', default: true },
      maxAlerts: { type: 'integer', default: 0 },
    },
  },
};

/** Subscriptions: who gets which alerts, paced how, delivered where. */
@ApiTags('subscriptions')
@ApiSecurity('api-key')
@Controller('subscriptions')
export class SubscriptionsController {
  constructor(@Inject(NotificationPipeline) private readonly pipeline: NotificationPipeline) {}

  @Post()
  @HttpCode(201)
  @RequireScopes('notifications:write')
  @ApiOperation({
    summary: 'Create a subscription',
    description:
      'Webhook URLs must pass the allow-list (WEBHOOK_ALLOWLIST; private and loopback addresses only when listed). Scope notifications:write.',
  })
  @ApiBody(subscriptionBody)
  @ApiResponse({ status: 201, description: 'Created (the secret is not returned).' })
  @ApiResponse({ status: 400, schema: errorSchema })
  @ApiResponse({ status: 409, schema: errorSchema })
  async create(@Body() body: unknown, @Req() req: Req): Promise<Record<string, unknown>> {
    const compiled = await this.validate(body, null);
    try {
      const saved = await stateCall(() =>
        this.pipeline.saveSubscription(compiled, principalName(req), true),
      );
      return view(saved);
    } catch (err) {
      if (err instanceof SubscriptionExistsError)
        throw httpError(
          409,
          'SUBSCRIPTION.EXISTS',
          `subscription ${err.id} exists; PUT /subscriptions/${err.id} replaces it`,
        );
      throw err;
    }
  }

  @Get()
  @RequireScopes('notifications:read')
  @ApiOperation({ summary: 'List subscriptions (secrets are never returned)' })
  list(): Record<string, unknown> {
    return { items: this.pipeline.subscriptions().map(view) };
  }

  @Get(':id')
  @RequireScopes('notifications:read')
  @ApiOperation({ summary: 'One subscription' })
  @ApiResponse({ status: 404, schema: errorSchema })
  get(@Param('id') id: string): Record<string, unknown> {
    const s = this.pipeline.subscription(id);
    if (!s) throw httpError(404, 'SUBSCRIPTION.NOT_FOUND', `no subscription ${id}`);
    return view(s);
  }

  @Put(':id')
  @RequireScopes('notifications:write')
  @ApiOperation({
    summary: 'Create or replace a subscription',
    description:
      'A webhook secret may be omitted to keep the current one. Scope notifications:write.',
  })
  @ApiBody(subscriptionBody)
  @ApiResponse({ status: 400, schema: errorSchema })
  async replace(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: Req,
  ): Promise<Record<string, unknown>> {
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
      const b = body as Record<string, unknown>;
      if (b['id'] !== undefined && b['id'] !== id)
        throw httpError(400, 'VALIDATION.FAILED', 'invalid subscription', [
          {
            field: 'id',
            code: 'SUBSCRIPTION.ID_MISMATCH',
            message: 'body id differs from the path',
          },
        ]);
    }
    const compiled = await this.validate(
      { ...(body as Record<string, unknown>), id },
      this.pipeline.subscription(id) ?? null,
    );
    return view(
      await stateCall(() => this.pipeline.saveSubscription(compiled, principalName(req), false)),
    );
  }

  @Delete(':id')
  @HttpCode(204)
  @RequireScopes('notifications:write')
  @ApiOperation({ summary: 'Delete a subscription (its queued deliveries are cancelled)' })
  @ApiResponse({ status: 404, schema: errorSchema })
  async remove(@Param('id') id: string): Promise<void> {
    if (!(await stateCall(() => this.pipeline.deleteSubscription(id))))
      throw httpError(404, 'SUBSCRIPTION.NOT_FOUND', `no subscription ${id}`);
  }

  private async validate(
    body: unknown,
    existing: SubscriptionRuntime | null,
  ): Promise<CompiledSubscription> {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw httpError(400, 'VALIDATION.FAILED', 'body must be a JSON object');
    const input = { ...(body as Record<string, unknown>) };
    const settings = this.pipeline.settings;
    const receiver =
      typeof input['receiver'] === 'object' && input['receiver'] !== null
        ? { ...(input['receiver'] as Record<string, unknown>) }
        : null;
    if (receiver?.['type'] === 'alertmanager') {
      if (!settings.alertmanagerUrl)
        throw httpError(400, 'VALIDATION.FAILED', 'invalid subscription', [
          {
            field: 'receiver.type',
            code: 'SUBSCRIPTION.ALERTMANAGER_DISABLED',
            message: 'ALERTMANAGER_URL is not configured',
          },
        ]);
      const url =
        typeof receiver['url'] === 'string'
          ? receiver['url'].replace(/\/+$/, '')
          : settings.alertmanagerUrl;
      if (url !== settings.alertmanagerUrl)
        throw httpError(400, 'VALIDATION.FAILED', 'invalid subscription', [
          {
            field: 'receiver.url',
            code: 'SUBSCRIPTION.ALERTMANAGER_URL',
            message: `only the configured Alertmanager (${settings.alertmanagerUrl}) is allowed`,
          },
        ]);
      receiver['url'] = url;
    }
    if (
      receiver?.['type'] === 'webhook' &&
      receiver['secret'] === undefined &&
      existing?.compiled.subscription.receiver.type === 'webhook'
    )
      receiver['secret'] = existing.compiled.subscription.receiver.secret;
    if (receiver) input['receiver'] = receiver;
    const res = validateSubscription(input);
    if (!res.ok) throw httpError(400, 'VALIDATION.FAILED', 'invalid subscription', res.errors);
    const s = res.value.subscription;
    if (
      s.receiver.type === 'alertmanager' &&
      s.route.repeatIntervalMs >= ALERTMANAGER_FIRING_TTL_MS
    )
      throw httpError(400, 'VALIDATION.FAILED', 'invalid subscription', [
        {
          field: 'route.repeatIntervalMs',
          code: 'SUBSCRIPTION.REPEAT_TOO_LONG',
          message: `firing alerts must be re-posted before Alertmanager's TTL (${ALERTMANAGER_FIRING_TTL_MS / 60_000} min) lapses`,
        },
      ]);
    if (s.receiver.type === 'webhook') {
      const host = new URL(s.receiver.url).hostname.replace(/^\[|\]$/g, '');
      let addresses: string[] = [];
      if (!parseIp(host)) {
        try {
          addresses = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
        } catch {
          addresses = [];
        }
      }
      const check = checkWebhookTarget(s.receiver.url, addresses, settings.targetPolicy);
      if (!check.ok)
        throw httpError(400, 'VALIDATION.FAILED', 'webhook target not allowed', [
          { field: 'receiver.url', code: check.code, message: check.message },
        ]);
    }
    return res.value;
  }
}

function view(s: SubscriptionRuntime): Record<string, unknown> {
  const sub = s.compiled.subscription;
  return {
    id: sub.id,
    name: sub.name,
    enabled: sub.enabled,
    receiver:
      sub.receiver.type === 'webhook'
        ? { type: 'webhook', url: sub.receiver.url, secretSet: true }
        : { type: 'alertmanager', url: sub.receiver.url },
    filter: sub.filter,
    route: sub.route,
    sendResolved: sub.sendResolved,
    maxAlerts: sub.maxAlerts,
    createdBy: s.row.createdBy,
    createdAt: new Date(s.row.createdAt).toISOString(),
    updatedAt: new Date(s.row.updatedAt).toISOString(),
  };
}
