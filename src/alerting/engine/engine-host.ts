import {
  type BeforeApplicationShutdown,
  type FactoryProvider,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { type Admin } from 'kafkajs';
import { Registry } from 'prom-client';
import { ReadinessRegistry } from '../../platform/health/readiness.js';
import { namedLogger } from '../../platform/logging/logger.js';
import { AvroSerde } from '../../platform/messaging/avro-serde.js';
import {
  type BatchOutcome,
  type ConsumedMessage,
  type MessageFailure,
  BatchConsumer,
} from '../../platform/messaging/batch-consumer.js';
import { errorMessage, RetriableError } from '../../platform/messaging/errors.js';
import { type KafkaClient } from '../../platform/messaging/kafka.js';
import { physicalTopic, TOPICS } from '../../platform/messaging/topics.js';
import {
  getTracer,
  TRACEPARENT,
  traceIdOf,
  type Tracer,
} from '../../platform/observability/tracing.js';
import { type ServiceConfig } from '../../platform/service/service-config.js';
import { KAFKA_CLIENT, PG_POOL, SERVICE_CONFIG } from '../../platform/service/tokens.js';
import { type AlertingSettings } from '../alerting.config.js';
import { ALERTING_CLOCK, ALERTING_SETTINGS, type Clock } from '../alerting.tokens.js';
import {
  AlertEngine,
  alertState,
  type AlertRecord,
  compileRuleSpecs,
  compileSilence,
  type CompiledRuleSet,
  type CompiledSilence,
  type EngineOutput,
  type PrematchedChunk,
  type RuleError,
} from '../domain/index.js';
import { AlertingMetrics } from '../metrics/alerting.metrics.js';
import {
  AlertingStore,
  FencedError,
  type LoadedState,
  type RuleSetRow,
  type SilenceRow,
  type Tx,
} from '../persistence/alerting.store.js';
import { compileDocumentText, readRuleFile, type RuleDocument } from '../rules/rule-document.js';
import {
  assembleSnapshot,
  EngineStateTracker,
  mergeChangedAlerts,
  offsetsOf,
} from './engine-state.js';
import {
  inThreadMatcher,
  type LineMatcher,
  type UndecodableLine,
  WorkerLineMatcher,
} from './line-matcher.js';
import { causingLines } from './trace-causes.js';

/** W3C trace headers (`traceparent`, `tracestate`) by alert event id. */
export type EventTraceHeaders = ReadonlyMap<string, Readonly<Record<string, string>>>;

/** One engine call and what it needs persisted with it. */
export interface Mutation<T> {
  readonly output: EngineOutput;
  readonly result: T;
  readonly extra?: (tx: Tx) => Promise<void>;
  readonly lines?: { readonly total: number; readonly matched: number; readonly truncated: number };
  /** Trace context of the output's events, from the log lines that caused them. */
  readonly eventHeaders?: EventTraceHeaders;
}

interface Pending {
  readonly output: EngineOutput;
  readonly extra: ((tx: Tx) => Promise<void>) | undefined;
  readonly lines: Mutation<unknown>['lines'];
  readonly eventHeaders: EventTraceHeaders | undefined;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

export interface ActiveRuleSet {
  readonly row: RuleSetRow;
  readonly compiled: CompiledRuleSet;
}

export interface RuleFileStatus {
  readonly path: string;
  /** Hash of the file content last looked at (null: file missing). */
  hash: string | null;
  checkedAt: number | null;
  /** Whether that content is the running rule set. */
  applied: boolean;
  errors: readonly RuleError[];
}

const GATE_TIMEOUT_MS = 10_000;

/**
 * Owns the alert engine of this process and everything that must stay consistent with it.
 *
 * - Every engine call (line chunks, ticks, rule and silence changes, acknowledgements) is a
 *   synchronous mutation followed by a durable commit. Calls that arrive while a commit is in
 *   flight are grouped into the next one (group commit), which writes the alert rows, the
 *   outbox events and the engine state (meta with the applied offset per partition, changed
 *   rule states) in ONE transaction — so a restart resumes exactly where the last commit left
 *   off, and a replayed chunk is recognised by its offset and skipped.
 * - When a commit fails, every call not yet committed is rejected (retriable) and the engine
 *   is rebuilt from the database before anything else runs.
 * - One process owns the state (a fencing token in alerting.engine_owner): a newer instance
 *   takes over at boot, and this one stops consuming on its next commit.
 * - A wall-clock tick (flatline, resolution, silence ends in quiet periods) runs only while
 *   the consumer has caught up with logs.lines, so a backlog is never mistaken for silence.
 * - Alert events carry, in their outbox row's headers, the W3C trace context of the log line
 *   that caused them (see causingLines). Events no line caused (ticks, rule and silence
 *   changes, a restore) start a new trace when tracing records, and carry none when it is off.
 */
export class EngineHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = namedLogger('EngineHost');
  readonly store: AlertingStore;
  readonly metrics: AlertingMetrics;
  readonly owner = randomUUID();
  readonly topic: string;
  private engine!: AlertEngine;
  private tracker = new EngineStateTracker();
  private offsets = new Map<number, string>();
  private readonly lastRecordAt = new Map<number, number>();
  private active!: ActiveRuleSet;
  private silenceRows: SilenceRow[] = [];
  private pending: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private broken: unknown = null;
  private fencedBy: FencedError | null = null;
  private gate: Promise<void> = Promise.resolve();
  private openGate: () => void = () => undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private housekeepingTimer: NodeJS.Timeout | undefined;
  private admin: Admin | undefined;
  private stopping = false;
  private caughtUp = false;
  private readonly fileStatus: RuleFileStatus;
  private readonly tracer: Tracer;
  /** Decodes and matches log lines (worker thread unless ALERTING_MATCH_WORKER=false). */
  private readonly matcher: LineMatcher;

  /**
   * Provider of the host, initialised (schema, state, rules) before it is handed out: the
   * platform starts the consumer before onModuleInit hooks run, so initialisation cannot wait
   * for them.
   */
  static provider(): FactoryProvider<EngineHost> {
    return {
      provide: EngineHost,
      inject: [
        PG_POOL,
        KAFKA_CLIENT,
        SERVICE_CONFIG,
        ALERTING_SETTINGS,
        ALERTING_CLOCK,
        Registry,
        ReadinessRegistry,
        AvroSerde,
        { token: BatchConsumer, optional: true },
      ],
      useFactory: async (
        pool: pg.Pool,
        kafka: KafkaClient,
        config: ServiceConfig,
        settings: AlertingSettings,
        clock: Clock,
        registry: Registry,
        readiness: ReadinessRegistry,
        serde: AvroSerde,
        consumer?: BatchConsumer,
      ) => {
        const host = new EngineHost(
          pool,
          kafka,
          config,
          settings,
          clock,
          registry,
          readiness,
          serde,
          consumer,
        );
        await host.init();
        return host;
      },
    };
  }

  constructor(
    pool: pg.Pool,
    private readonly kafka: KafkaClient,
    config: ServiceConfig,
    readonly settings: AlertingSettings,
    readonly clock: Clock,
    registry: Registry,
    private readonly readiness: ReadinessRegistry,
    serde: AvroSerde,
    private readonly consumer?: BatchConsumer,
  ) {
    const inThread = inThreadMatcher(serde, settings.engine.maxLineLength);
    this.matcher = settings.matchWorker
      ? new WorkerLineMatcher(
          { messaging: config.messaging, maxLineLength: settings.engine.maxLineLength },
          this.logger,
          inThread,
        )
      : inThread;
    // An idle client killed by the server (restart, failover) must not crash the process:
    // the platform's pool has no 'error' listener of its own.
    if (pool.listenerCount('error') === 0)
      pool.on('error', (err) => {
        this.logger.warn({ err: errorMessage(err) }, 'idle database connection lost');
      });
    this.store = new AlertingStore(pool);
    this.metrics = new AlertingMetrics(registry);
    this.topic = physicalTopic(TOPICS.logLines.name, config.messaging.topicPrefix);
    this.tracer = getTracer(config.service);
    this.fileStatus = {
      path: settings.rulesFile,
      hash: null,
      checkedAt: null,
      applied: false,
      errors: [],
    };
  }

  // ---------------------------------------------------------------- boot and shutdown

  async init(): Promise<void> {
    await this.matcher.start();
    const applied = await this.store.migrate();
    if (applied.length > 0) this.logger.info({ applied }, 'alerting schema migrated');
    const state = await this.store.load(this.owner, true);
    const file = await readRuleFile(this.settings.rulesFile);
    this.fileStatus.hash = file?.hash ?? null;
    this.fileStatus.checkedAt = Date.now();

    // Which rules run: the database's active set, unless the file changed since it was last
    // applied from the file (API edits survive restarts until someone edits the file).
    let newRow: RuleSetRow | null = null;
    let compiled: CompiledRuleSet | null = null;
    if (file && (state.ruleSet === null || file.hash !== state.lastFileHash)) {
      const res = compileDocumentText(file.text);
      if (res.ok) {
        compiled = res.compiled;
        newRow = {
          version: (state.ruleSet?.version ?? 0) + 1,
          revision: res.compiled.revision,
          source: 'file',
          document: res.document,
          specs: res.compiled.rules.map((r) => r.spec),
          fileHash: file.hash,
          createdBy: `file:${this.settings.rulesFile}`,
          createdAt: Date.now(),
        };
        this.fileStatus.applied = true;
      } else {
        this.fileStatus.errors = res.errors;
        this.metrics.reloads.inc({ source: 'file', outcome: 'rejected' });
        this.logger.error(
          { file: this.settings.rulesFile, errors: res.errors },
          state.ruleSet
            ? 'rule file is invalid; keeping the rule set in the database'
            : 'rule file is invalid and no rule set was ever applied',
        );
        if (!state.ruleSet) {
          throw new Error(
            `alerting: ${this.settings.rulesFile} is invalid: ${res.errors
              .slice(0, 10)
              .map((e) => `${e.ruleId ?? '-'} ${e.field}: ${e.message}`)
              .join('; ')}`,
          );
        }
      }
    } else if (!file && !state.ruleSet) {
      throw new Error(
        `alerting: rule file ${this.settings.rulesFile} not found and no rule set in the database (set ALERT_RULES_FILE)`,
      );
    } else {
      this.fileStatus.applied = file !== null && file.hash === state.lastFileHash;
    }
    const out = this.restore(state, compiled && newRow ? { row: newRow, compiled } : null);
    await this.commitNow(out, newRow ? AlertingStore.insertRuleSet(newRow) : undefined);
    if (newRow) this.metrics.reloads.inc({ source: 'file', outcome: 'applied' });
    this.logger.info(
      {
        version: this.active.row.version,
        rules: this.active.compiled.enabled.length,
        watermark: this.engine.watermark,
        firing: state.firing.length,
        offsets: Object.fromEntries(this.offsets),
      },
      'alert engine restored',
    );
    this.readiness.register({
      name: 'alerting-engine',
      check: () => {
        if (this.fencedBy) return Promise.reject(this.fencedBy);
        if (this.broken)
          return Promise.reject(new Error('engine is being restored after a failed commit'));
        return Promise.resolve({
          ruleSetVersion: this.active.row.version,
          watermark: this.engine.watermark,
          caughtUp: this.caughtUp,
        });
      },
    });
  }

  onApplicationBootstrap(): void {
    if (this.settings.tickIntervalMs > 0) this.scheduleTick(this.settings.tickIntervalMs);
    this.housekeepingTimer = setInterval(() => {
      this.store.housekeep(this.settings.resolvedRetentionDays).catch((err: unknown) => {
        this.logger.warn({ err: errorMessage(err) }, 'housekeeping failed');
      });
    }, 10 * 60_000);
    this.housekeepingTimer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.tickTimer);
    clearInterval(this.housekeepingTimer);
    while (this.flushing) await this.flushing;
    await this.matcher.close();
    await this.admin?.disconnect().catch(() => undefined);
  }

  /** Builds engine, tracker, offsets and metrics from loaded state (and maybe new rules). */
  private restore(state: LoadedState, replacement: ActiveRuleSet | null): EngineOutput {
    if (!replacement && !state.ruleSet) throw new Error('no rule set to run');
    this.active = replacement ?? {
      row: state.ruleSet!,
      compiled: compileRuleSpecs(state.ruleSet!.specs),
    };
    const snapshot = assembleSnapshot(state.meta, state.ruleStates, state.firing);
    this.engine = new AlertEngine(this.active.compiled, this.settings.engine, snapshot);
    this.tracker = new EngineStateTracker(state.ruleStates);
    this.offsets = offsetsOf(state.meta);
    this.lastRecordAt.clear();
    this.silenceRows = state.silences;
    this.metrics.reset(state.firing);
    this.metrics.ruleSetVersion.set(this.active.row.version);
    // Restoring may resolve alerts of rules that are gone; setSilences drains that output.
    return this.engine.setSilences(this.compiledSilences());
  }

  private compiledSilences(): CompiledSilence[] {
    const out: CompiledSilence[] = [];
    for (const s of this.silenceRows) {
      try {
        out.push(compileSilence({ ...s, comment: s.comment }));
      } catch (err) {
        this.logger.error(
          { silence: s.id, err: errorMessage(err) },
          'stored silence is invalid; ignored',
        );
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- read access

  get ruleSet(): ActiveRuleSet {
    return this.active;
  }

  get silences(): readonly SilenceRow[] {
    return this.silenceRows;
  }

  /** Status of the rule file (the rules service updates it as it checks the file). */
  get ruleFile(): RuleFileStatus {
    return this.fileStatus;
  }

  status(): Record<string, unknown> {
    return {
      owner: this.owner,
      fenced: this.fencedBy !== null,
      restoring: this.broken !== null,
      caughtUp: this.caughtUp,
      watermark: this.engine.watermark,
      ruleSetVersion: this.active.row.version,
      offsets: Object.fromEntries(this.offsets),
      stats: { ...this.engine.stats },
    };
  }

  // ---------------------------------------------------------------- mutations

  /**
   * Log line values from one partition, in order, undecoded: the line matcher decodes and
   * matches them (on its worker thread), then the engine applies the result. Replays of
   * applied offsets are skipped; values that do not decode come back as failures (DLQ), also
   * on a replay.
   */
  async processLines(batch: readonly ConsumedMessage<Buffer | null>[]): Promise<BatchOutcome> {
    const first = batch[0];
    const last = batch[batch.length - 1];
    if (!first || !last) return {};
    const partition = first.partition;
    for (;;) {
      const applied = this.offsets.get(partition);
      let fresh: readonly ConsumedMessage<Buffer | null>[] = batch;
      let failures: MessageFailure[] = [];
      if (applied !== undefined && BigInt(first.offset) <= BigInt(applied)) {
        const after = BigInt(applied);
        fresh = batch.filter((m) => BigInt(m.offset) > after);
        failures = await this.undecodable(batch.filter((m) => BigInt(m.offset) <= after));
      }
      if (fresh.length === 0) return { failures };
      const decoded = await this.matcher.match(
        fresh.map((m) => m.value),
        this.engine.ruleSet,
      );
      let stale = false;
      await this.submit((engine) => {
        // A rule swap or a rebuild since the values were sent: match them again.
        if (
          engine.ruleSet.revision !== decoded.prematched.revision ||
          this.offsets.get(partition) !== applied
        ) {
          stale = true;
          return null;
        }
        const before = { ...engine.stats };
        const output = engine.processPrematched(decoded.prematched);
        this.offsets.set(partition, last.offset);
        this.lastRecordAt.set(partition, last.timestamp);
        const s = engine.stats;
        return {
          output,
          result: undefined,
          lines: {
            total: s.lines - before.lines,
            matched: s.matchedLines - before.matchedLines,
            truncated: s.truncated - before.truncated,
          },
          eventHeaders:
            output.events.length > 0
              ? this.traceHeaders(output.events, decoded.prematched, fresh, decoded.undecodable)
              : undefined,
        };
      });
      if (stale) continue;
      for (const u of decoded.undecodable)
        failures.push({ offset: fresh[u.index]!.offset, reasonCode: u.reasonCode, error: u.error });
      return { failures };
    }
  }

  /** The values of `messages` that do not decode (the ones of a replayed part of a batch). */
  private async undecodable(
    messages: readonly ConsumedMessage<Buffer | null>[],
  ): Promise<MessageFailure[]> {
    if (messages.length === 0) return [];
    const { undecodable } = await this.matcher.match(
      messages.map((m) => m.value),
      this.engine.ruleSet,
    );
    return undecodable.map((u) => ({
      offset: messages[u.index]!.offset,
      reasonCode: u.reasonCode,
      error: u.error,
    }));
  }

  /**
   * Trace headers of the events of a chunk: each continues the trace of its causing line.
   * Positions in `chunk` count decoded lines only; `undecodable` (ascending) are skipped in
   * `messages`.
   */
  private traceHeaders(
    events: EngineOutput['events'],
    chunk: PrematchedChunk,
    messages: readonly ConsumedMessage<unknown>[],
    undecodable: readonly UndecodableLine[],
  ): EventTraceHeaders {
    const causes = causingLines(events, chunk);
    const out = new Map<string, Readonly<Record<string, string>>>();
    for (let i = 0; i < events.length; i++) {
      let at = causes[i]!;
      if (at >= 0) for (const u of undecodable) if (u.index <= at) at++;
      const cause = at >= 0 ? messages[at] : undefined;
      const headers = this.tracer.propagate(cause?.headers, 'alerting.alert');
      if (headers[TRACEPARENT] !== undefined) out.set(events[i]!.eventId, headers);
    }
    return out;
  }

  /** Runs `work` on the engine and resolves once its effects are committed. */
  async submit<T>(work: (engine: AlertEngine) => Mutation<T> | null): Promise<T | undefined> {
    await this.waitForGate();
    let m: Mutation<T> | null;
    try {
      m = work(this.engine);
    } catch (err) {
      // The engine may be half-changed: rebuild it before anything else runs.
      this.fail(err, []);
      throw err;
    }
    if (m === null) return undefined;
    const mutation = m;
    await new Promise<void>((resolve, reject) => {
      this.pending.push({
        output: mutation.output,
        extra: mutation.extra,
        lines: mutation.lines,
        eventHeaders: mutation.eventHeaders,
        resolve,
        reject,
      });
      this.kick();
    });
    return mutation.result;
  }

  /** Swaps in a validated rule set (file or API), as a new version. */
  async applyRuleSet(
    document: RuleDocument,
    compiled: CompiledRuleSet,
    source: 'file' | 'api',
    createdBy: string,
    fileHash: string | null,
  ): Promise<{ row: RuleSetRow; changed: boolean }> {
    const result = await this.submit((engine) => {
      const current = this.active.row;
      if (compiled.revision === current.revision && source === 'api')
        return { output: { events: [], alerts: [] }, result: { row: current, changed: false } };
      const row: RuleSetRow = {
        version: current.version + 1,
        revision: compiled.revision,
        source,
        document,
        specs: compiled.rules.map((r) => r.spec),
        fileHash,
        createdBy,
        createdAt: Date.now(),
      };
      const output = engine.setRules(compiled);
      this.active = { row, compiled };
      return { output, result: { row, changed: true }, extra: AlertingStore.insertRuleSet(row) };
    });
    const r = result!;
    this.metrics.reloads.inc({ source, outcome: r.changed ? 'applied' : 'unchanged' });
    if (r.changed) {
      this.metrics.ruleSetVersion.set(r.row.version);
      this.logger.info(
        { version: r.row.version, source, rules: compiled.enabled.length, by: createdBy },
        'rule set applied',
      );
    }
    return r;
  }

  /** Creates or updates (e.g. expires) a silence; alerts whose silence ended notify at once. */
  async putSilence(row: SilenceRow, compiled: CompiledSilence): Promise<void> {
    await this.submit((engine) => {
      this.silenceRows = [...this.silenceRows.filter((s) => s.id !== row.id), row];
      const list = this.compiledSilences().map((c) => (c.silence.id === row.id ? compiled : c));
      const output = engine.setSilences(list, this.caughtUp ? this.clock() : undefined);
      return { output, result: undefined, extra: AlertingStore.upsertSilence(row) };
    });
  }

  async acknowledge(
    idOrFingerprint: string,
    by: string | null,
    comment: string | null,
  ): Promise<AlertRecord | null> {
    const rec = await this.submit((engine) => {
      const r =
        by === null
          ? engine.unacknowledge(idOrFingerprint, this.clock())
          : engine.acknowledge(idOrFingerprint, by, comment, this.clock());
      return r ? { output: { events: [], alerts: [r] }, result: r } : null;
    });
    return rec ?? null;
  }

  private async waitForGate(): Promise<void> {
    const deadline = Date.now() + GATE_TIMEOUT_MS;
    for (;;) {
      if (this.fencedBy) throw this.fencedBy;
      if (this.stopping && this.broken) throw new RetriableError('alerting is shutting down');
      if (!this.broken) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new RetriableError('alert engine is being restored; try again');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.gate,
        new Promise((resolve) => {
          timer = setTimeout(resolve, left);
        }),
      ]);
      clearTimeout(timer);
    }
  }

  private kick(): void {
    this.flushing ??= this.flushLoop().finally(() => {
      this.flushing = null;
      // A broken engine is restored, except while shutting down (the restore would find the
      // pool closed; fail() has rejected what was pending).
      if (this.broken ? !this.stopping : this.pending.length > 0) this.kick();
    });
  }

  private async flushLoop(): Promise<void> {
    // Let calls of the same turn of the event loop join the first commit.
    await new Promise((resolve) => setImmediate(resolve));
    for (;;) {
      if (this.fencedBy) {
        // Another instance owns the engine: nothing here commits again. Rejecting what waits
        // also keeps the re-kick in kick() from looping.
        const fenced = this.fencedBy;
        for (const p of this.pending.splice(0)) p.reject(fenced);
        return;
      }
      if (this.broken) {
        if (this.stopping) return;
        await this.rebuild();
        continue;
      }
      if (this.pending.length === 0) return;
      const group = this.pending;
      this.pending = [];
      try {
        await this.commitGroup(group);
        for (const p of group) p.resolve();
      } catch (err) {
        this.fail(err, group);
      }
    }
  }

  private async commitGroup(group: readonly Pending[]): Promise<void> {
    const started = performance.now();
    const write = this.tracker.capture(this.engine, this.offsets);
    const records = mergeChangedAlerts(group.map((p) => p.output.alerts));
    const events = group.flatMap((p) => p.output.events);
    const eventHeaders = this.eventHeadersOf(group, events);
    await this.store.commit(this.owner, {
      alerts: records.map((r) => ({ state: alertState(r), record: r })),
      events,
      eventHeaders,
      write,
      extra: group.flatMap((p) => (p.extra ? [p.extra] : [])),
    });
    if (events.length > 0 && this.logger.isLevelEnabled('debug')) {
      for (const e of events)
        this.logger.debug(
          {
            alertId: e.alertId,
            eventId: e.eventId,
            ruleId: e.ruleId,
            status: e.status,
            traceId: traceIdOf(eventHeaders.get(e.eventId) ?? {}),
          },
          'alert event committed',
        );
    }
    this.metrics.commitDuration.observe((performance.now() - started) / 1000);
    this.metrics.commitBatches.observe(group.length);
    this.metrics.observeAlerts(records);
    let total = 0;
    let matched = 0;
    let truncated = 0;
    for (const p of group) {
      if (!p.lines) continue;
      total += p.lines.total;
      matched += p.lines.matched;
      truncated += p.lines.truncated;
    }
    if (total > 0) {
      this.metrics.lines.inc({ outcome: 'matched' }, matched);
      this.metrics.lines.inc({ outcome: 'unmatched' }, total - matched);
      if (truncated > 0) this.metrics.lines.inc({ outcome: 'truncated' }, truncated);
    }
    if (write.meta.watermark !== null) this.metrics.watermark.set(write.meta.watermark / 1000);
  }

  /**
   * Trace headers of a commit group's events: those of the lines that caused them, and a new
   * root trace for the others (ticks, rule and silence changes) when tracing records.
   */
  private eventHeadersOf(
    group: readonly Pending[],
    events: EngineOutput['events'],
  ): EventTraceHeaders {
    const out = new Map<string, Readonly<Record<string, string>>>();
    if (events.length === 0) return out;
    for (const p of group) if (p.eventHeaders) for (const [id, h] of p.eventHeaders) out.set(id, h);
    if (this.tracer.enabled) {
      for (const e of events)
        if (!out.has(e.eventId))
          out.set(e.eventId, this.tracer.propagate(undefined, 'alerting.tick'));
    }
    return out;
  }

  /** Commits outside the group machinery (boot). */
  private async commitNow(output: EngineOutput, extra?: (tx: Tx) => Promise<void>): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.pending.push({
        output,
        extra,
        lines: undefined,
        eventHeaders: undefined,
        resolve,
        reject,
      });
      this.kick();
    });
  }

  /** A commit failed (or an engine call threw): reject everything uncommitted, then rebuild. */
  private fail(err: unknown, group: readonly Pending[]): void {
    const rejected = [...group, ...this.pending];
    this.pending = [];
    if (err instanceof FencedError) {
      this.fence(err);
      for (const p of rejected) p.reject(err);
      return;
    }
    this.logger.error(
      { err: errorMessage(err), rejected: rejected.length },
      'engine commit failed; restoring the engine from the database',
    );
    if (!this.broken) {
      this.broken = err;
      this.gate = new Promise((resolve) => {
        this.openGate = resolve;
      });
    }
    const retriable = new RetriableError(`alert engine commit failed: ${errorMessage(err)}`, {
      cause: err,
    });
    for (const p of rejected) p.reject(retriable);
    this.kick();
  }

  private fence(err: FencedError): void {
    if (this.fencedBy) return;
    this.fencedBy = err;
    this.logger.error(
      { owner: err.owner },
      'another alerting instance took the engine over; stopping consumption',
    );
    clearTimeout(this.tickTimer);
    // Not awaited: the consumer drains the chunk that is failing right now.
    void this.consumer?.stop().catch(() => undefined);
  }

  private async rebuild(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.stopping) return;
      try {
        const state = await this.store.load(this.owner, false);
        const out = this.restore(state, null);
        this.broken = null;
        this.openGate();
        if (out.events.length > 0 || out.alerts.length > 0)
          this.pending.unshift({
            output: out,
            extra: undefined,
            lines: undefined,
            eventHeaders: undefined,
            resolve: () => undefined,
            reject: () => undefined,
          });
        this.logger.info(
          { watermark: this.engine.watermark },
          'alert engine restored after a failed commit',
        );
        return;
      } catch (err) {
        if (err instanceof FencedError) {
          this.fence(err);
          this.broken = null;
          this.openGate();
          return;
        }
        const delay = Math.min(10_000, 200 * 2 ** Math.min(attempt, 6));
        this.logger.warn(
          { err: errorMessage(err), attempt, delayMs: delay },
          'engine restore failed; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  // ---------------------------------------------------------------- time

  private scheduleTick(ms: number): void {
    if (this.stopping || this.fencedBy) return;
    this.tickTimer = setTimeout(() => void this.tickOnce(), ms);
  }

  private async tickOnce(): Promise<void> {
    try {
      this.caughtUp = await this.checkCaughtUp();
      this.metrics.caughtUp.set(this.caughtUp ? 1 : 0);
      if (this.caughtUp && !this.broken) {
        this.metrics.ticks.inc();
        await this.submit((engine) => {
          const now = this.clock();
          const output = engine.tick(now);
          const watermark = engine.watermark ?? now;
          const ended = this.silenceRows.filter((s) => s.endsAt <= watermark);
          if (ended.length === 0) return { output, result: undefined };
          // Ended silences can no longer match: drop them from the engine's list.
          this.silenceRows = this.silenceRows.filter((s) => s.endsAt > watermark);
          const more = engine.setSilences(this.compiledSilences());
          return {
            output: {
              events: [...output.events, ...more.events],
              alerts: [...output.alerts, ...more.alerts],
            },
            result: undefined,
          };
        });
      }
    } catch (err) {
      this.logger.warn({ err: errorMessage(err) }, 'tick failed');
    } finally {
      this.scheduleTick(this.settings.tickIntervalMs);
    }
  }

  /**
   * Caught up when every partition of logs.lines is consumed to its end, or its last applied
   * record was produced less than ALERT_CAUGHT_UP_DELAY_MS ago (what is still behind it is
   * newer than that, so wall-clock time cannot overtake it).
   */
  private async checkCaughtUp(): Promise<boolean> {
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    const highs = await this.admin.fetchTopicOffsets(this.topic);
    const committed = await this.admin.fetchOffsets({
      groupId: this.settings.groupId,
      topics: [this.topic],
    });
    const committedBy = new Map<number, bigint>();
    for (const t of committed)
      for (const p of t.partitions) committedBy.set(p.partition, BigInt(p.offset));
    const now = Date.now();
    for (const h of highs) {
      const high = BigInt(h.high);
      const low = BigInt(h.low);
      const applied = this.offsets.get(h.partition);
      let next = low;
      if (applied !== undefined && BigInt(applied) + 1n > next) next = BigInt(applied) + 1n;
      const c = committedBy.get(h.partition);
      if (c !== undefined && c > next) next = c;
      if (next >= high) continue;
      const last = this.lastRecordAt.get(h.partition);
      if (
        this.settings.caughtUpDelayMs > 0 &&
        last !== undefined &&
        now - last <= this.settings.caughtUpDelayMs
      )
        continue;
      return false;
    }
    return true;
  }
}
