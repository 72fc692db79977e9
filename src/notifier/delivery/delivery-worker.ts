import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { namedLogger } from '../../platform/logging/logger.js';
import { errorMessage } from '../../platform/messaging/errors.js';
import { traceIdOf } from '../../platform/observability/tracing.js';
import {
  buildWebhookPayload,
  decideRetry,
  type DeliveryOutcome,
  toPostableAlerts,
  webhookHeaders,
} from '../domain/index.js';
import { type DeliveryRow } from '../persistence/notifier.store.js';
import { NotificationPipeline } from '../scheduling/notification-pipeline.js';
import { postJson, type SendResult } from './http-sender.js';

/**
 * Works off the durable delivery queue (notifier.deliveries), after Alertmanager: each
 * aggregation group (subscription, group key) is a lane delivered in order, one notification
 * at a time; different lanes go concurrently (NOTIFIER_DELIVERY_CONCURRENCY in all, at most
 * half of them for one subscription). A failed attempt is retried with exponential backoff
 * (the domain's retry policy) while the lane waits; once any delivery to that subscription
 * succeeds again, its lanes that were backing off go at once — so a subscriber that was down
 * gets everything as soon as it is back, nothing lost, nothing sent twice except a retried
 * attempt, which carries the same idempotency key. After the last retry (or a refusal) the
 * notification becomes a dead-letter record with the reason and the lane moves on.
 *
 * Every attempt carries the W3C `traceparent` (+ `tracestate`) the notification was queued with
 * — a child span per attempt when tracing records — so the receiver continues the alert's trace.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = namedLogger('DeliveryWorker');
  /** Running lanes by key (subscription NUL group key). */
  private readonly busy = new Map<string, Promise<void>>();
  private readonly perSubscription = new Map<string, number>();
  /** Subscriptions with deliveries backing off after a failure. */
  private readonly failing = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | null = null;
  private rescan = false;
  private running = false;
  /** A due lane could not start (limits): look again when a running lane ends. */
  private starved = false;

  constructor(@Inject(NotificationPipeline) private readonly pipeline: NotificationPipeline) {
    pipeline.onDeliveriesQueued((lanes) => this.start(lanes));
    pipeline.onFenced(() => {
      this.running = false;
      clearTimeout(this.timer);
    });
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.scanning;
    await Promise.allSettled([...this.busy.values()]);
  }

  /**
   * Starts the lanes of freshly queued notifications at once (no scan needed: the lane's head
   * query decides what goes first); lanes that cannot start now are left to the next scan.
   */
  private start(lanes: ReadonlyArray<readonly [string, string]>): void {
    if (!this.running) return;
    for (const [subscriptionId, groupKey] of lanes)
      if (!this.startLane(subscriptionId, groupKey)) this.starved = true;
  }

  /** Starts draining one lane unless it runs already or the limits are reached. */
  private startLane(subscriptionId: string, groupKey: string): boolean {
    const lane = `${subscriptionId}\u0000${groupKey}`;
    if (this.busy.has(lane)) return true;
    const settings = this.pipeline.settings;
    const perSubMax = Math.max(1, Math.floor(settings.deliveryConcurrency / 2));
    const n = this.perSubscription.get(subscriptionId) ?? 0;
    if (this.busy.size >= settings.deliveryConcurrency || n >= perSubMax) return false;
    this.perSubscription.set(subscriptionId, n + 1);
    const run = this.drain(subscriptionId, groupKey).finally(() => {
      this.busy.delete(lane);
      const left = (this.perSubscription.get(subscriptionId) ?? 1) - 1;
      if (left > 0) this.perSubscription.set(subscriptionId, left);
      else this.perSubscription.delete(subscriptionId);
      if (this.starved) {
        this.starved = false;
        this.kick();
      }
    });
    this.busy.set(lane, run);
    return true;
  }

  /** Looks at the lane heads soon. */
  kick(): void {
    if (!this.running) return;
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = this.scan()
      .catch((err: unknown) => {
        this.logger.warn({ err: errorMessage(err) }, 'delivery queue scan failed');
      })
      .finally(() => {
        this.scanning = null;
        if (this.rescan) {
          this.rescan = false;
          this.kick();
        }
      });
  }

  private async scan(): Promise<void> {
    let wakeAt = Date.now() + this.pipeline.settings.pollMs;
    try {
      const heads = await this.pipeline.store.heads();
      const now = this.pipeline.clock();
      for (const h of heads) {
        if (this.busy.has(`${h.subscriptionId}\u0000${h.groupKey}`)) continue;
        if (h.nextAttemptAt > now) {
          wakeAt = Math.min(wakeAt, Date.now() + (h.nextAttemptAt - now));
          continue;
        }
        if (!this.startLane(h.subscriptionId, h.groupKey)) this.starved = true;
      }
    } finally {
      clearTimeout(this.timer);
      if (this.running)
        this.timer = setTimeout(() => this.kick(), Math.max(5, wakeAt - Date.now()));
    }
  }

  /** Delivers a lane's due notifications in order until one must wait. */
  private async drain(subscriptionId: string, groupKey: string): Promise<void> {
    try {
      while (this.running) {
        const head = await this.pipeline.store.head(subscriptionId, groupKey);
        if (!head || head.nextAttemptAt > this.pipeline.clock()) return;
        const retryAt = await this.attempt(head);
        if (retryAt !== null) {
          // The lane waits for its head's retry; come back for it then.
          const timer = setTimeout(
            () => {
              if (!this.startLane(subscriptionId, groupKey)) this.starved = true;
            },
            Math.max(5, retryAt - this.pipeline.clock()),
          );
          timer.unref();
          return;
        }
      }
    } catch (err) {
      this.logger.warn({ subscription: subscriptionId, err: errorMessage(err) }, 'delivery failed');
    }
  }

  /** One attempt; the retry time when the lane must wait, else null. */
  private async attempt(d: DeliveryRow): Promise<number | null> {
    const settings = this.pipeline.settings;
    const runtime = this.pipeline.subscription(d.subscriptionId);
    if (!runtime) {
      await this.pipeline.store.cancel(d.id, 'subscription deleted');
      return null;
    }
    const sub = runtime.compiled.subscription;
    const attempt = d.attempts + 1;
    const n = d.notification;
    const trace = this.pipeline.tracer.propagate(d.traceHeaders, 'notifier.deliver');
    let result: SendResult;
    if (sub.receiver.type === 'webhook') {
      const body = JSON.stringify(
        buildWebhookPayload(n, {
          receiver: sub.name,
          externalURL: settings.externalUrl,
          maxAlerts: sub.maxAlerts,
        }),
      );
      const headers = webhookHeaders({
        body,
        secrets: sub.receiver.secret,
        nowSec: Math.floor(Date.now() / 1000),
        idempotencyKey: n.id,
        attempt,
      });
      result = await postJson(
        sub.receiver.url,
        body,
        { ...headers, ...trace },
        {
          timeoutMs: settings.timeoutMs,
          policy: settings.targetPolicy,
        },
      );
    } else {
      // Built at send time: firing alerts get endsAt = now + TTL, so a late retry still counts.
      const body = JSON.stringify(
        toPostableAlerts(n.alerts, { now: Date.now(), externalURL: settings.externalUrl }),
      );
      result = await postJson(
        `${sub.receiver.url.replace(/\/+$/, '')}/api/v2/alerts`,
        body,
        {
          'Content-Type': 'application/json',
          'User-Agent': 'Streamline-Notifier/1',
          'Idempotency-Key': n.id,
          ...trace,
        },
        { timeoutMs: settings.timeoutMs, policy: null },
      );
    }
    const now = this.pipeline.clock();
    const decision = decideRetry({
      attempt,
      outcome: result.outcome,
      firstAttemptAt: d.createdAt,
      now,
      key: n.id,
      policy: settings.retry,
    });
    const { statusCode, error } = describe(result.outcome);
    const kind = sub.receiver.type;
    this.pipeline.metrics.attemptDuration.observe({ receiver: kind }, result.durationMs / 1000);
    if (decision.action === 'delivered') {
      await this.pipeline.store.recordAttempt(this.pipeline.owner, d, {
        attempt,
        at: now,
        outcome: 'delivered',
        statusCode,
        error: null,
        durationMs: result.durationMs,
      });
      this.pipeline.metrics.notifications.inc({ outcome: 'delivered' });
      this.pipeline.metrics.latency.observe(
        { receiver: kind },
        Math.max(0, now - d.createdAt) / 1000,
      );
      if (this.failing.delete(d.subscriptionId)) {
        const released = await this.pipeline.store.releaseBackoff(d.subscriptionId, now);
        if (released > 0) {
          this.logger.info(
            { subscription: d.subscriptionId, released },
            'subscriber is back; delivering what waited',
          );
          this.kick();
        }
      }
      return null;
    }
    if (decision.action === 'retry') {
      await this.pipeline.store.recordAttempt(this.pipeline.owner, d, {
        attempt,
        at: now,
        outcome: 'retry',
        statusCode,
        error,
        durationMs: result.durationMs,
        nextAttemptAt: decision.retryAt,
      });
      this.pipeline.metrics.notifications.inc({ outcome: 'retried' });
      this.failing.add(d.subscriptionId);
      this.logger.warn(
        {
          subscription: d.subscriptionId,
          delivery: d.id,
          attempt,
          error,
          retryInMs: decision.delayMs,
          traceId: traceIdOf(trace),
        },
        'delivery failed; will retry',
      );
      return decision.retryAt;
    }
    await this.pipeline.store.recordAttempt(this.pipeline.owner, d, {
      attempt,
      at: now,
      outcome: 'dead_letter',
      statusCode,
      error,
      durationMs: result.durationMs,
      deadLetter: { reason: decision.reason, message: decision.message },
    });
    this.pipeline.metrics.notifications.inc({ outcome: 'dead_lettered' });
    this.logger.error(
      {
        subscription: d.subscriptionId,
        delivery: d.id,
        attempt,
        reason: decision.reason,
        message: decision.message,
        traceId: traceIdOf(trace),
      },
      'delivery dead-lettered',
    );
    return null;
  }
}

function describe(o: DeliveryOutcome): { statusCode: number | null; error: string | null } {
  switch (o.kind) {
    case 'http':
      return {
        statusCode: o.status,
        error: o.status >= 200 && o.status < 300 ? null : `HTTP ${o.status}`,
      };
    case 'network':
      return { statusCode: null, error: `network error ${o.code}` };
    case 'timeout':
      return { statusCode: null, error: 'timeout' };
    case 'forbidden_target':
      return { statusCode: null, error: `target not allowed: ${o.reason}` };
  }
}
