import {
  type BeforeApplicationShutdown,
  type FactoryProvider,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { Registry } from 'prom-client';
import { ReadinessRegistry } from '../../platform/health/readiness.js';
import { namedLogger } from '../../platform/logging/logger.js';
import { BatchConsumer, type ConsumedMessage } from '../../platform/messaging/batch-consumer.js';
import { errorMessage, RetriableError } from '../../platform/messaging/errors.js';
import { getTracer, TRACEPARENT, type Tracer } from '../../platform/observability/tracing.js';
import { type AlertEvent } from '../../platform/schemas/generated.js';
import { type ServiceConfig } from '../../platform/service/service-config.js';
import { PG_POOL, SERVICE_CONFIG } from '../../platform/service/tokens.js';
import { SecretBox } from '../delivery/secret-box.js';
import {
  type CompiledSubscription,
  type Notification,
  NotificationScheduler,
  validateSubscription,
} from '../domain/index.js';
import { NotifierMetrics } from '../notifier.metrics.js';
import { type NotifierSettings } from '../notifier.config.js';
import { type Clock, NOTIFIER_CLOCK, NOTIFIER_SETTINGS } from '../notifier.tokens.js';
import {
  FencedError,
  NotifierStore,
  type SubscriptionRow,
  type Tx,
} from '../persistence/notifier.store.js';
import { AlertEventTraces, type TraceHeaders } from './alert-event-traces.js';

export interface SubscriptionRuntime {
  readonly compiled: CompiledSubscription;
  readonly row: SubscriptionRow;
}

/**
 * The scheduler of this process and its durable state. Alert events (de-duplicated by event
 * id), subscription changes and due flushes each run under one lock, change the scheduler,
 * and commit the consumed ids, the changed groups and the new deliveries in one transaction.
 * A failed commit rebuilds the scheduler from the database. A wake timer flushes groups when
 * group_wait / group_interval / repeat_interval come due.
 *
 * Trace context: each notification is queued with the W3C trace context of the alert event it
 * continues (see AlertEventTraces), so its webhook carries a `traceparent` of that trace; with
 * none known it starts a new trace when tracing records, and carries none when it is off.
 */
export class NotificationPipeline implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = namedLogger('NotificationPipeline');
  readonly store: NotifierStore;
  readonly box: SecretBox;
  readonly metrics: NotifierMetrics;
  readonly owner = randomUUID();
  private readonly traces = new AlertEventTraces();
  private scheduler!: NotificationScheduler;
  private subs = new Map<string, SubscriptionRuntime>();
  private lock: Promise<unknown> = Promise.resolve();
  private wakeTimer: NodeJS.Timeout | undefined;
  private housekeepingTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private stale = false;
  fenced: FencedError | null = null;
  private readonly queuedListeners = new Set<
    (lanes: ReadonlyArray<readonly [string, string]>) => void
  >();
  private readonly fenceListeners = new Set<() => void>();

  /**
   * Provider of the pipeline, initialised before it is handed out (the platform starts the
   * consumer before onModuleInit hooks run).
   */
  static provider(): FactoryProvider<NotificationPipeline> {
    return {
      provide: NotificationPipeline,
      inject: [
        PG_POOL,
        SERVICE_CONFIG,
        NOTIFIER_SETTINGS,
        NOTIFIER_CLOCK,
        Registry,
        ReadinessRegistry,
        { token: BatchConsumer, optional: true },
      ],
      useFactory: async (
        pool: pg.Pool,
        config: ServiceConfig,
        settings: NotifierSettings,
        clock: Clock,
        registry: Registry,
        readiness: ReadinessRegistry,
        consumer?: BatchConsumer,
      ) => {
        const p = new NotificationPipeline(
          pool,
          settings,
          clock,
          registry,
          readiness,
          getTracer(config.service),
          consumer,
        );
        await p.init();
        return p;
      },
    };
  }

  constructor(
    pool: pg.Pool,
    readonly settings: NotifierSettings,
    readonly clock: Clock,
    registry: Registry,
    private readonly readiness: ReadinessRegistry,
    readonly tracer: Tracer,
    private readonly consumer?: BatchConsumer,
  ) {
    // An idle client killed by the server (restart, failover) must not crash the process:
    // the platform's pool has no 'error' listener of its own.
    if (pool.listenerCount('error') === 0)
      pool.on('error', (err) => {
        this.logger.warn({ err: errorMessage(err) }, 'idle database connection lost');
      });
    this.store = new NotifierStore(pool);
    this.box = new SecretBox(settings.secretKey);
    this.metrics = new NotifierMetrics(registry, () => this.store.queueDepth());
  }

  async init(): Promise<void> {
    const applied = await this.store.migrate();
    if (applied.length > 0) this.logger.info({ applied }, 'notifier schema migrated');
    await this.store.takeOwnership(this.owner);
    if (!this.box.encrypts)
      this.logger.warn('NOTIFIER_SECRET_KEY is not set: webhook secrets are stored unencrypted');
    await this.reload();
    this.readiness.register({
      name: 'notifier',
      check: () =>
        this.fenced
          ? Promise.reject(this.fenced)
          : Promise.resolve({ subscriptions: this.subs.size, groups: this.scheduler.groupCount }),
    });
    this.logger.info(
      { subscriptions: this.subs.size, groups: this.scheduler.groupCount },
      'notifier state loaded',
    );
  }

  onApplicationBootstrap(): void {
    this.scheduleWake();
    this.housekeepingTimer = setInterval(() => {
      this.store.housekeep(this.settings.retentionDays).catch((err: unknown) => {
        this.logger.warn({ err: errorMessage(err) }, 'housekeeping failed');
      });
    }, 10 * 60_000);
    this.housekeepingTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.wakeTimer);
    clearInterval(this.housekeepingTimer);
    await this.lock.catch(() => undefined);
  }

  /** Called after a commit queued deliveries, with their lanes ([subscription, group key]). */
  onDeliveriesQueued(listener: (lanes: ReadonlyArray<readonly [string, string]>) => void): void {
    this.queuedListeners.add(listener);
  }

  onFenced(listener: () => void): void {
    this.fenceListeners.add(listener);
  }

  subscription(id: string): SubscriptionRuntime | undefined {
    return this.subs.get(id);
  }

  subscriptions(): SubscriptionRuntime[] {
    return [...this.subs.values()];
  }

  /** Reads subscriptions and groups and rebuilds the scheduler. */
  private async reload(): Promise<void> {
    const rows = await this.store.loadSubscriptions();
    const subs = new Map<string, SubscriptionRuntime>();
    for (const row of rows) {
      try {
        subs.set(row.id, { row, compiled: this.compile(row) });
      } catch (err) {
        this.logger.error(
          { subscription: row.id, err: errorMessage(err) },
          'stored subscription unusable; skipped',
        );
      }
    }
    this.subs = subs;
    const groups = await this.store.loadGroups();
    this.scheduler = new NotificationScheduler(
      [...subs.values()].map((s) => s.compiled),
      { version: 1, groups },
    );
    this.metrics.groups.set(this.scheduler.groupCount);
  }

  private compile(row: SubscriptionRow): CompiledSubscription {
    const spec = row.spec as { receiver?: Record<string, unknown> };
    const receiver = { ...(spec.receiver ?? {}) };
    if (receiver['type'] === 'webhook')
      receiver['secret'] = this.box.open(row.secret ?? '', row.id);
    const res = validateSubscription({ ...row.spec, receiver });
    if (!res.ok) throw new Error(res.errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    return res.value;
  }

  /** Serialises scheduler work; a scheduler left stale by a failed commit is rebuilt first. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(async () => {
      if (this.fenced) throw this.fenced;
      if (this.stale) {
        await this.reload();
        this.stale = false;
      }
      return fn();
    });
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** Commits what the scheduler changed (plus `extra` writes); on failure it is rebuilt. */
  private async commitChanges(
    consumed: readonly string[],
    notifications: readonly Notification[],
    extra: ReadonlyArray<(tx: Tx) => Promise<void>>,
  ): Promise<void> {
    const changes = this.scheduler.takeChanges();
    if (
      consumed.length === 0 &&
      notifications.length === 0 &&
      extra.length === 0 &&
      changes.upserts.length === 0 &&
      changes.deletes.length === 0
    )
      return;
    const kindOf = (n: Notification): string =>
      this.subs.get(n.subscriptionId)?.compiled.subscription.receiver.type ?? 'webhook';
    try {
      await this.store.commit(this.owner, {
        consumed,
        changes,
        notifications: notifications.map((n) => ({
          n,
          receiverType: kindOf(n),
          traceHeaders: this.traceOf(n),
        })),
        extra,
      });
    } catch (err) {
      if (err instanceof FencedError) {
        this.fence(err);
        throw err;
      }
      this.stale = true;
      this.logger.error(
        { err: errorMessage(err) },
        'notifier commit failed; state will be reloaded',
      );
      throw new RetriableError(`notifier commit failed: ${errorMessage(err)}`, { cause: err });
    }
    this.metrics.groups.set(this.scheduler.groupCount);
    for (const n of notifications) this.metrics.created.inc({ receiver: kindOf(n) });
    if (notifications.length > 0) {
      const lanes = notifications.map((x) => [x.subscriptionId, x.groupKey] as const);
      for (const l of this.queuedListeners) l(lanes);
    }
  }

  /** The trace context a notification is queued with (undefined: none). */
  private traceOf(n: Notification): TraceHeaders | undefined {
    const headers = this.tracer.propagate(this.traces.of(n), 'notifier.notify');
    return headers[TRACEPARENT] === undefined ? undefined : headers;
  }

  private fence(err: FencedError): void {
    if (this.fenced) return;
    this.fenced = err;
    this.logger.error({ owner: err.owner }, 'another notifier instance took over; stopping');
    clearTimeout(this.wakeTimer);
    void this.consumer?.stop().catch(() => undefined);
    for (const l of this.fenceListeners) l();
  }

  /** Alert events from one partition chunk; already-seen event ids are ignored. */
  async ingest(batch: readonly ConsumedMessage<AlertEvent>[]): Promise<void> {
    if (batch.length === 0) return;
    await this.exclusive(async () => {
      const byId = new Map<string, AlertEvent>();
      for (const m of batch) if (!byId.has(m.value.eventId)) byId.set(m.value.eventId, m.value);
      const fresh = await this.store.unseen([...byId.keys()]);
      const duplicates = batch.length - fresh.size;
      if (duplicates > 0) this.metrics.events.inc({ outcome: 'duplicate' }, duplicates);
      if (fresh.size === 0) return;
      for (const m of batch)
        if (fresh.has(m.value.eventId)) this.traces.remember(m.value.eventId, m.headers);
      const now = this.clock();
      for (const [id, e] of byId) if (fresh.has(id)) this.scheduler.ingest(e, now);
      await this.commitChanges([...fresh], this.scheduler.due(now), []);
      this.metrics.events.inc({ outcome: 'ingested' }, fresh.size);
    });
    this.scheduleWake();
  }

  /** Flushes the groups that are due now. */
  private async flushDue(): Promise<void> {
    await this.exclusive(async () => {
      await this.commitChanges([], this.scheduler.due(this.clock()), []);
    });
  }

  private scheduleWake(): void {
    if (this.stopping || this.fenced) return;
    clearTimeout(this.wakeTimer);
    const next = this.scheduler.nextWakeAt();
    // Re-check at least every 30 s (clock jumps, a failed flush).
    const delay = next === null ? 30_000 : Math.min(30_000, Math.max(0, next - this.clock()));
    this.wakeTimer = setTimeout(() => {
      this.flushDue()
        .catch((err: unknown) => {
          this.logger.warn({ err: errorMessage(err) }, 'scheduled flush failed');
        })
        .finally(() => this.scheduleWake());
    }, delay);
  }

  /** Creates or replaces a subscription (already validated and target-checked). */
  async saveSubscription(
    compiled: CompiledSubscription,
    createdBy: string,
    mustNotExist: boolean,
  ): Promise<SubscriptionRuntime> {
    const out = await this.exclusive(async () => {
      const s = compiled.subscription;
      if (mustNotExist && this.subs.has(s.id)) return null;
      const { secret, ...receiver } = s.receiver as { secret?: string; type: string; url: string };
      const row: SubscriptionRow = {
        id: s.id,
        spec: { ...s, receiver },
        secret: secret === undefined ? null : this.box.seal(secret, s.id),
        createdBy: this.subs.get(s.id)?.row.createdBy ?? createdBy,
        createdAt: this.subs.get(s.id)?.row.createdAt ?? this.clock(),
        updatedAt: this.clock(),
      };
      const runtime = { row, compiled };
      this.subs.set(s.id, runtime);
      this.scheduler.setSubscriptions([...this.subs.values()].map((x) => x.compiled));
      await this.commitChanges([], [], [NotifierStore.saveSubscription(row)]);
      return runtime;
    });
    this.scheduleWake();
    if (!out) throw new SubscriptionExistsError(compiled.subscription.id);
    return out;
  }

  async deleteSubscription(id: string): Promise<boolean> {
    return this.exclusive(async () => {
      if (!this.subs.has(id)) return false;
      this.subs.delete(id);
      this.scheduler.setSubscriptions([...this.subs.values()].map((x) => x.compiled));
      await this.commitChanges([], [], [NotifierStore.deleteSubscription(id)]);
      return true;
    });
  }
}

export class SubscriptionExistsError extends Error {
  constructor(readonly id: string) {
    super(`subscription ${id} exists`);
  }
}
