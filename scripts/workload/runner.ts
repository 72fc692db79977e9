import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import kafkajs, { type Producer } from 'kafkajs';
import { pino } from 'pino';
import { AvroSerde } from '../../src/platform/messaging/avro-serde.js';
import { bootstrapTopics } from '../../src/platform/messaging/bootstrap.js';
import { createKafka, loadMessagingConfig } from '../../src/platform/messaging/kafka.js';
import { EventPublisher, type OutgoingRecord } from '../../src/platform/messaging/publisher.js';
import { allTopicSpecs, physicalTopic, TOPICS } from '../../src/platform/messaging/topics.js';
import { ensureAccounts, type AccountsMode, type AccountsResult } from './accounts.js';
import { CommentGenerator, type Language, type Sentiment } from './comments.js';
import { isCritical, LogReplayer } from './logs.js';
import { Rng } from './random.js';
import {
  DEFAULT_TRANSFER_MIX,
  planAccounts,
  TransferGenerator,
  type InvalidReason,
  type TransferIntent,
  type TransferMix,
} from './transfers.js';

export const STREAMS = ['transfers', 'logs', 'comments'] as const;
export type StreamName = (typeof STREAMS)[number];

export interface WorkloadOptions {
  /** Events per second, for each selected stream. */
  readonly rate: number;
  /** Seconds to run; 0 runs until `stop()`. */
  readonly durationSeconds: number;
  readonly streams: readonly StreamName[];
  /** Seed of the choices (which accounts, phrases, lines); ids are always fresh UUIDs. */
  readonly seed: number;
  readonly transferMix: TransferMix;
  /** Customer accounts per currency (USD, EUR, BRL), besides one funding and one merchant. */
  readonly customersPerCurrency: number;
  /** Account ids start with this; stable across runs. */
  readonly accountPrefix: string;
  readonly accounts: AccountsMode;
  readonly ledgerUrl: string;
  readonly gatewayUrl: string;
  /** API key: ledger:write for accounts over HTTP, transfers/logs/comments:publish for the gateway. */
  readonly apiKey: string | undefined;
  /** Share (0..1) of events sent through the ingest gateway's HTTP API instead of Kafka. */
  readonly viaGatewayShare: number;
  /** Folder of the loghub samples; the built-in generator is used when it is absent. */
  readonly loghubDir: string;
  /** A burst of critical log lines starts every this many seconds (0: no bursts). */
  readonly burstEverySeconds: number;
  readonly burstSeconds: number;
  /** During a burst, extra critical lines per second = rate × burstFactor. */
  readonly burstFactor: number;
  readonly portugueseShare: number;
  /** Share (0..1) of transfer and log records replaced by bytes that are not Avro (dead-lettered). */
  readonly poisonShare: number;
  /** Prefix of physical topic names; default KAFKA_TOPIC_PREFIX. */
  readonly topicPrefix?: string;
  readonly tickMs: number;
}

/** The repository root (also when run compiled from dist/scripts/workload). */
function findRepoRoot(dir: string): string {
  for (let d = dir; d !== dirname(d); d = dirname(d)) {
    if (existsSync(join(d, 'package.json'))) return d;
  }
  return join(dir, '../..');
}
const repoRoot = findRepoRoot(import.meta.dirname);

export const DEFAULT_WORKLOAD_OPTIONS: WorkloadOptions = {
  rate: 100,
  durationSeconds: 60,
  streams: STREAMS,
  seed: 1,
  transferMix: DEFAULT_TRANSFER_MIX,
  customersPerCurrency: 20,
  accountPrefix: 'wl',
  accounts: 'auto',
  ledgerUrl: 'http://127.0.0.1:3001',
  gatewayUrl: 'http://127.0.0.1:3000',
  apiKey: undefined,
  viaGatewayShare: 0,
  loghubDir: join(repoRoot, '../shared/eval-data/loghub'),
  burstEverySeconds: 30,
  burstSeconds: 5,
  burstFactor: 2,
  portugueseShare: 0.4,
  poisonShare: 0,
  tickMs: 100,
};

export interface StreamCounters {
  /** Records acknowledged by Kafka or answered 202 by the gateway. */
  sent: number;
  /** Records whose publish failed (Kafka error, gateway 5xx or network). */
  failed: number;
  /** Of `sent`, through the gateway. */
  viaGateway: number;
  /** Gateway 4xx answers (validation, rate limit, quota). */
  gatewayRefused: number;
  /** Records not generated because the previous send was still in flight (backpressure). */
  dropped: number;
}

export interface WorkloadSnapshot {
  readonly runId: string;
  readonly startedAt: number;
  readonly elapsedSeconds: number;
  readonly running: boolean;
  readonly accounts: AccountsResult | undefined;
  readonly transfers: StreamCounters & {
    byIntent: Record<TransferIntent, number>;
    invalidByReason: Record<InvalidReason, number>;
  };
  readonly logs: StreamCounters & {
    dataset: 'loghub' | 'builtin' | 'none';
    critical: number;
    bursts: number;
    /** Source of the burst in progress, null between bursts. */
    burstSource: string | null;
    bySource: Record<string, number>;
  };
  readonly comments: StreamCounters & {
    byLanguage: Record<Language, number>;
    byIntended: Record<Sentiment, number>;
    bySource: Record<string, number>;
    duplicates: number;
  };
  /** Records replaced by non-Avro bytes (poisonShare). */
  readonly poison: number;
  readonly lastError: string | undefined;
}

export interface Workload {
  readonly runId: string;
  readonly options: WorkloadOptions;
  /** Physical topics written to. */
  readonly topics: Readonly<Record<StreamName, string>>;
  /** A copy of the counters now. */
  snapshot(): WorkloadSnapshot;
  /** Resolves when the workload stopped (duration elapsed or `stop()`), after in-flight sends. */
  readonly done: Promise<WorkloadSnapshot>;
  /** Stops generating, waits for in-flight sends, disconnects. Idempotent. */
  stop(): Promise<WorkloadSnapshot>;
}

export interface WorkloadContext {
  readonly env?: NodeJS.ProcessEnv;
  readonly log?: (message: string) => void;
}

const zeroStream = (): StreamCounters => ({
  sent: 0,
  failed: 0,
  viaGateway: 0,
  gatewayRefused: 0,
  dropped: 0,
});
const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Sends records to one gateway route with a few concurrent requests. */
class GatewaySender {
  private readonly queue: Array<{ body: unknown; count: number }> = [];
  private active = 0;
  private idle: Array<() => void> = [];

  constructor(
    private readonly url: string,
    private readonly apiKey: string | undefined,
    private readonly counters: StreamCounters,
    private readonly onError: (message: string) => void,
    private readonly concurrency = 8,
  ) {}

  /** False when the queue is full (the caller sends through Kafka instead). */
  offer(body: unknown, count: number): boolean {
    if (this.queue.length >= 200) return false;
    this.queue.push({ body, count });
    this.pump();
    return true;
  }

  async drain(): Promise<void> {
    if (this.active === 0 && this.queue.length === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      const item = this.queue.shift() as { body: unknown; count: number };
      this.active += 1;
      void this.send(item).finally(() => {
        this.active -= 1;
        this.pump();
        if (this.active === 0 && this.queue.length === 0) {
          for (const resolve of this.idle.splice(0)) resolve();
        }
      });
    }
  }

  private async send(item: { body: unknown; count: number }): Promise<void> {
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.apiKey ? { 'x-api-key': this.apiKey } : {}),
        },
        body: JSON.stringify(item.body),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status === 202) {
        this.counters.sent += item.count;
        this.counters.viaGateway += item.count;
      } else if (res.status >= 400 && res.status < 500) {
        this.counters.gatewayRefused += item.count;
        this.onError(
          `gateway ${this.url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`,
        );
      } else {
        this.counters.failed += item.count;
        this.onError(`gateway ${this.url} answered ${res.status}`);
      }
    } catch (err) {
      this.counters.failed += item.count;
      this.onError(`gateway ${this.url}: ${errorText(err)}`);
    }
  }
}

/**
 * Starts the workload: opens the accounts, bootstraps topics and schemas (idempotent), then
 * publishes Avro records directly to Kafka with the platform's `EventPublisher` (a share through
 * the gateway when `viaGatewayShare` > 0) at `rate` events per second per stream, in ticks of
 * `tickMs`. Resolves once the streams are flowing.
 */
export async function startWorkload(
  partial: Partial<WorkloadOptions> = {},
  context: WorkloadContext = {},
): Promise<Workload> {
  const options: WorkloadOptions = { ...DEFAULT_WORKLOAD_OPTIONS, ...partial };
  const env = context.env ?? process.env;
  const log = context.log ?? ((m: string): void => console.error(`[workload] ${m}`));
  if (!(options.rate > 0)) throw new Error(`rate must be > 0, got ${options.rate}`);
  if (options.streams.length === 0) throw new Error('no stream selected');
  const runId = randomBytes(4).toString('hex');
  const rng = new Rng(options.seed);
  const messaging = loadMessagingConfig(
    options.topicPrefix !== undefined ? { ...env, KAFKA_TOPIC_PREFIX: options.topicPrefix } : env,
    'streamline-workload',
  );
  const prefix = messaging.topicPrefix;
  const topics: Record<StreamName, string> = {
    transfers: physicalTopic(TOPICS.transfersRequested.name, prefix),
    logs: physicalTopic(TOPICS.logLines.name, prefix),
    comments: physicalTopic(TOPICS.commentsSubmitted.name, prefix),
  };
  const has = (s: StreamName): boolean => options.streams.includes(s);
  const apiKey = options.apiKey ?? env.STREAMLINE_API_KEY;

  // Generators first: a missing dataset or bad option fails before any connection.
  const accounts = planAccounts(options.accountPrefix, options.customersPerCurrency);
  const transfers = has('transfers')
    ? new TransferGenerator(accounts, rng, options.transferMix)
    : undefined;
  let replayer: LogReplayer | undefined;
  if (has('logs')) {
    replayer = LogReplayer.fromLoghub(options.loghubDir, rng);
    if (!replayer) {
      log(`loghub samples not found in ${options.loghubDir}: using the built-in log generator`);
      replayer = LogReplayer.builtin(rng);
    }
  }
  const comments = has('comments')
    ? new CommentGenerator(rng, runId, {
        portugueseShare: options.portugueseShare,
        duplicateShare: 0.02,
        noHintShare: 0.3,
      })
    : undefined;

  let accountsResult: AccountsResult | undefined;
  if (transfers) {
    accountsResult = await ensureAccounts(accounts, {
      mode: options.accounts,
      ledgerUrl: options.ledgerUrl,
      apiKey,
      env,
      log,
    });
    log(
      `accounts via ${accountsResult.via}: ${accountsResult.created} created, ${accountsResult.existing} existing, ${accountsResult.failed.length} failed`,
    );
    for (const f of accountsResult.failed.slice(0, 5)) log(`  account ${f.id}: ${f.reason}`);
  }

  const kafka = createKafka(messaging);
  const serde = AvroSerde.fromConfig(messaging);
  await bootstrapTopics(kafka, serde, pino({ level: 'warn' }), allTopicSpecs(prefix));
  const producer: Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const publisher = new EventPublisher(producer, serde);

  const dataset: 'loghub' | 'builtin' | 'none' = replayer?.dataset ?? 'none';
  const counters = {
    transfers: {
      ...zeroStream(),
      byIntent: {
        funding: 0,
        payment: 0,
        p2p: 0,
        refund: 0,
        pending: 0,
        settle: 0,
        duplicate: 0,
        conflict: 0,
        invalid: 0,
      } as Record<TransferIntent, number>,
      invalidByReason: {
        unknown_account: 0,
        same_account: 0,
        currency_mismatch: 0,
        non_positive_amount: 0,
        malformed: 0,
      } as Record<InvalidReason, number>,
    },
    logs: {
      ...zeroStream(),
      dataset,
      critical: 0,
      bursts: 0,
      burstSource: null as string | null,
      bySource: {} as Record<string, number>,
    },
    comments: {
      ...zeroStream(),
      byLanguage: { en: 0, pt: 0 } as Record<Language, number>,
      byIntended: { positive: 0, negative: 0, neutral: 0 } as Record<Sentiment, number>,
      bySource: {} as Record<string, number>,
      duplicates: 0,
    },
    poison: 0,
  };
  let lastError: string | undefined;
  let lastErrorLogged = 0;
  const onError = (message: string): void => {
    lastError = message;
    if (Date.now() - lastErrorLogged > 5000) {
      lastErrorLogged = Date.now();
      log(`error: ${message}`);
    }
  };
  const gateway = {
    transfers: new GatewaySender(
      `${options.gatewayUrl}/v1/transfers`,
      apiKey,
      counters.transfers,
      onError,
    ),
    logs: new GatewaySender(`${options.gatewayUrl}/v1/logs/batch`, apiKey, counters.logs, onError),
    comments: new GatewaySender(
      `${options.gatewayUrl}/v1/comments`,
      apiKey,
      counters.comments,
      onError,
    ),
  };

  const inFlight = new Map<StreamName, Promise<void>>();
  const tokens: Record<StreamName, number> = { transfers: 0, logs: 0, comments: 0 };
  const startedAt = Date.now();
  let lastTick = startedAt;
  let running = true;
  let burstTokens = 0;

  /** Kafka part of one tick: Avro records, plus poison bytes when asked. */
  const publish = (stream: StreamName, records: OutgoingRecord[], poison: number): void => {
    const c = counters[stream];
    const send = async (): Promise<void> => {
      if (records.length > 0) await publisher.publish(topics[stream], records);
      if (poison > 0) {
        await producer.send({
          topic: topics[stream],
          acks: -1,
          messages: Array.from({ length: poison }, (_, i) => ({
            key: `poison-${i}`,
            value: Buffer.from(`not avro: garbage from a misconfigured producer #${i}`),
          })),
        });
      }
    };
    const p = send()
      .then(() => {
        c.sent += records.length + poison;
        counters.poison += poison;
      })
      .catch((err: unknown) => {
        c.failed += records.length + poison;
        onError(`publish to ${topics[stream]} failed: ${errorText(err)}`);
      })
      .finally(() => inFlight.delete(stream));
    inFlight.set(stream, p);
  };

  const split = (): boolean => options.viaGatewayShare > 0 && rng.chance(options.viaGatewayShare);
  const poisonCount = (n: number): number => {
    let p = 0;
    for (let i = 0; i < n; i++) if (rng.chance(options.poisonShare)) p += 1;
    return p;
  };

  const tickTransfers = (n: number): void => {
    const g = transfers as TransferGenerator;
    const records: OutgoingRecord[] = [];
    const poison = poisonCount(n);
    for (let i = 0; i < n - poison; i++) {
      const t = g.next();
      counters.transfers.byIntent[t.intent] += 1;
      if (t.invalidReason) counters.transfers.invalidByReason[t.invalidReason] += 1;
      // Funding goes through Kafka so it lands before the payments that spend it.
      if (t.intent !== 'funding' && split() && gateway.transfers.offer(t.value, 1)) continue;
      records.push({ key: t.value.transferId, value: t.value });
    }
    publish('transfers', records, poison);
  };

  const tickLogs = (n: number, elapsedS: number, dtS: number): void => {
    const r = replayer as LogReplayer;
    const now = Date.now();
    const lines = [];
    const inBurst =
      options.burstEverySeconds > 0 &&
      elapsedS >= Math.min(10, options.burstEverySeconds) &&
      (elapsedS - Math.min(10, options.burstEverySeconds)) % options.burstEverySeconds <
        options.burstSeconds;
    if (inBurst && counters.logs.burstSource === null) {
      counters.logs.burstSource = r.pickBurstSource();
      counters.logs.bursts += 1;
    } else if (!inBurst) {
      counters.logs.burstSource = null;
    }
    const poison = poisonCount(n);
    for (let i = 0; i < n - poison; i++) lines.push(r.next(now));
    if (counters.logs.burstSource !== null) {
      burstTokens += options.rate * options.burstFactor * dtS;
      const extra = Math.floor(burstTokens);
      burstTokens -= extra;
      for (let i = 0; i < extra; i++) lines.push(r.critical(counters.logs.burstSource, now));
    }
    const records: OutgoingRecord[] = [];
    const viaGateway = [];
    for (const line of lines) {
      if (isCritical(line)) counters.logs.critical += 1;
      counters.logs.bySource[line.source] = (counters.logs.bySource[line.source] ?? 0) + 1;
      if (split()) viaGateway.push(line);
      else records.push({ key: line.source, value: line });
    }
    if (viaGateway.length > 0 && !gateway.logs.offer(viaGateway, viaGateway.length)) {
      for (const line of viaGateway) records.push({ key: line.source, value: line });
    }
    publish('logs', records, poison);
  };

  const tickComments = (n: number): void => {
    const g = comments as CommentGenerator;
    const records: OutgoingRecord[] = [];
    for (let i = 0; i < n; i++) {
      const c = g.next();
      counters.comments.byLanguage[c.language] += 1;
      counters.comments.byIntended[c.intended] += 1;
      counters.comments.bySource[c.value.source] =
        (counters.comments.bySource[c.value.source] ?? 0) + 1;
      if (c.duplicate) counters.comments.duplicates += 1;
      if (split() && gateway.comments.offer(c.value, 1)) continue;
      records.push({ key: c.value.commentId, value: c.value });
    }
    publish('comments', records, 0);
  };

  let resolveDone: (s: WorkloadSnapshot) => void = () => undefined;
  const done = new Promise<WorkloadSnapshot>((resolve) => {
    resolveDone = resolve;
  });

  const snapshot = (): WorkloadSnapshot =>
    structuredClone({
      runId,
      startedAt,
      elapsedSeconds: (Date.now() - startedAt) / 1000,
      running,
      accounts: accountsResult,
      transfers: counters.transfers,
      logs: counters.logs,
      comments: counters.comments,
      poison: counters.poison,
      lastError,
    });

  let stopping: Promise<WorkloadSnapshot> | undefined;
  const stop = (): Promise<WorkloadSnapshot> => {
    stopping ??= (async () => {
      running = false;
      clearInterval(timer);
      await Promise.allSettled([...inFlight.values()]);
      let drainTimer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(Object.values(gateway).map((g) => g.drain())),
        new Promise((resolve) => {
          drainTimer = setTimeout(resolve, 15_000);
        }),
      ]);
      clearTimeout(drainTimer);
      await producer.disconnect().catch((err: unknown) => onError(`disconnect: ${errorText(err)}`));
      const final = snapshot();
      resolveDone(final);
      return final;
    })();
    return stopping;
  };

  const timer = setInterval(() => {
    const now = Date.now();
    const dtS = (now - lastTick) / 1000;
    lastTick = now;
    const elapsedS = (now - startedAt) / 1000;
    if (options.durationSeconds > 0 && elapsedS >= options.durationSeconds) {
      void stop();
      return;
    }
    for (const stream of options.streams) {
      tokens[stream] += options.rate * dtS;
      if (inFlight.has(stream)) {
        // Still sending the previous tick: keep up to 2 s of backlog, drop the rest.
        const cap = options.rate * 2;
        if (tokens[stream] > cap) {
          counters[stream].dropped += Math.floor(tokens[stream] - cap);
          tokens[stream] = cap;
        }
        continue;
      }
      const n = Math.floor(tokens[stream]);
      if (n <= 0) continue;
      tokens[stream] -= n;
      if (stream === 'transfers') tickTransfers(n);
      else if (stream === 'logs') tickLogs(n, elapsedS, dtS);
      else tickComments(n);
    }
  }, options.tickMs);

  return { runId, options, topics, snapshot, done, stop };
}
