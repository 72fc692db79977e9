/**
 * `npm run bench:ledger` — the ledger end to end, as a real process: transfer requests on Kafka
 * (`transactions.requested`) → the ledger service (consumer, batch posting, outbox) → outcome
 * events on Kafka (`ledger.transfer-posted` / `ledger.transfer-rejected`, via the outbox relay).
 *
 * Phases:
 *  1. uniform: BENCH_TRANSFERS transfers between random customer accounts. The backlog is produced
 *     while the ledger is down, then a fresh ledger process drains it, so the load generator does
 *     not compete with it for the two cores; throughput = outcomes/s, overall (process ready →
 *     last outcome event) and steady (10th → 90th percentile of outcome times).
 *  2. hot: the same, every transfer credits one merchant account.
 *  3. latency: BENCH_RATE transfers/s (default 2,000) for BENCH_DURATION_S seconds (default 60;
 *     300 for the 5-minute memory check) into the running process; latency = outcome event's Kafka
 *     timestamp − the time the request was handed to the producer; p50/p99/max. The service's RSS
 *     is sampled every second throughout.
 * Baselines in the same run, database only (no Kafka, after the service stopped), on the same
 * tables: raw `pg` doing the same reads/inserts/updates in batches of BENCH_BATCH (= the service's
 * chunk size), the ledger's own `postBatch` (the repository without Kafka), and the naive way: one
 * TypeORM transaction per transfer (BENCH_NAIVE_TRANSFERS of them).
 *
 * Env: BENCH_TRANSFERS (100000), BENCH_RATE (2000), BENCH_DURATION_S (60), BENCH_BATCH (2000),
 * BENCH_BASELINE_BATCHES (15), BENCH_NAIVE_TRANSFERS (2000), BENCH_ACCOUNTS (64),
 * BENCH_PHASES (uniform,hot,latency,baselines). LEDGER_* variables reach the service.
 * Needs the stack (`npm run stack:up`) and a build (`npm run bench:ledger` builds first).
 */
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { type Consumer } from 'kafkajs';
import type pg from 'pg';
import { type DataSource } from 'typeorm';
import { type TransferRequest } from '../src/ledger/domain/transfer.js';
import { initializeLedgerDataSource } from '../src/ledger/ledger.data-source.js';
import { LedgerRepository } from '../src/ledger/ledger.repository.js';
import { AvroSerde } from '../src/platform/messaging/avro-serde.js';
import { createKafka, loadMessagingConfig } from '../src/platform/messaging/kafka.js';
import { physicalTopic, TOPICS } from '../src/platform/messaging/topics.js';
import { OutboxValueEncoder } from '../src/platform/outbox/outbox.writer.js';
import { type TransferRequested } from '../src/platform/schemas/generated.js';
import { createTestDatabase } from '../test/support/db.js';
import {
  startServiceProcess,
  testPort,
  type ServiceProcess,
} from '../test/support/service-process.js';
import { machine, percentile, runId, sleep, table } from './support.js';

const env = process.env;
const TRANSFERS = Number(env.BENCH_TRANSFERS ?? 100_000);
const RATE = Number(env.BENCH_RATE ?? 2000);
const DURATION_S = Number(env.BENCH_DURATION_S ?? 60);
const BATCH = Number(env.BENCH_BATCH ?? 2000);
const BASELINE_BATCHES = Number(env.BENCH_BASELINE_BATCHES ?? 15);
const NAIVE_TRANSFERS = Number(env.BENCH_NAIVE_TRANSFERS ?? 2000);
const ACCOUNTS = Number(env.BENCH_ACCOUNTS ?? 64);
const PHASES = new Set((env.BENCH_PHASES ?? 'uniform,hot,latency,baselines').split(','));

const id = runId();
const prefix = `bench-ledger-${id}.`;
const requestTopic = physicalTopic(TOPICS.transfersRequested.name, prefix);
const postedTopic = physicalTopic(TOPICS.transferPosted.name, prefix);
const rejectedTopic = physicalTopic(TOPICS.transferRejected.name, prefix);
const progress = (m: string): void => void process.stderr.write(`  … ${m}\n`);

// ---------------------------------------------------------------------------------------------
// Process sampling (/proc): RSS of the service, CPU of the service and of the machine
// ---------------------------------------------------------------------------------------------

const CLOCK_TICKS = 100;

async function rssMiB(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) / 1024 : undefined;
}

async function processCpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / CLOCK_TICKS;
}

/** Busy and total jiffies of the whole machine. */
async function machineCpu(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Sum and count of a histogram (all label sets) from the service's /metrics text. */
function histogram(text: string, name: string): { sum: number; count: number } {
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}_sum`)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith(`${name}_count`)) count += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return { sum, count };
}

interface ServiceStats {
  readonly batches: number;
  readonly meanBatch: number;
  readonly meanPostMs: number;
  readonly meanChunks: number;
  readonly vacuums: number;
  readonly vacuumSeconds: number;
}

/** What the service's own metrics say about the batches of a phase (difference of two scrapes). */
function statsBetween(before: string, after: string): ServiceStats {
  const d = (name: string): { sum: number; count: number } => {
    const a = histogram(after, name);
    const b = histogram(before, name);
    return { sum: a.sum - b.sum, count: a.count - b.count };
  };
  const size = d('streamline_ledger_batch_size_requests');
  const post = d('streamline_ledger_post_duration_seconds');
  const chunks = d('streamline_ledger_batch_chunks');
  const vacuum = d('streamline_ledger_vacuum_duration_seconds');
  return {
    batches: size.count,
    meanBatch: size.sum / Math.max(1, size.count),
    meanPostMs: (post.sum / Math.max(1, post.count)) * 1000,
    meanChunks: chunks.sum / Math.max(1, chunks.count),
    vacuums: vacuum.count,
    vacuumSeconds: vacuum.sum,
  };
}

const CPU_GROUPS = [
  'ledger',
  'postgres',
  'kafka+registry (java)',
  'bench (this process)',
  'other',
] as const;
type CpuGroup = (typeof CPU_GROUPS)[number];

interface CpuSnapshot {
  /** pid → [group, CPU seconds so far], for the processes we attribute. */
  readonly processes: Map<number, [CpuGroup, number]>;
  /** Busy CPU seconds of the whole machine. */
  readonly machineBusy: number;
}

/** CPU seconds used so far by the ledger, PostgreSQL, the stack's JVMs and this process. */
async function cpuSnapshot(servicePid: number): Promise<CpuSnapshot> {
  const { readdir } = await import('node:fs/promises');
  const processes = new Map<number, [CpuGroup, number]>();
  for (const pidText of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const pidNum = Number(pidText);
    const stat = await readFile(`/proc/${pidText}/stat`, 'utf8').catch(() => '');
    if (stat === '') continue;
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    let group: CpuGroup | undefined;
    if (pidNum === servicePid) group = 'ledger';
    else if (pidNum === process.pid) group = 'bench (this process)';
    else if (comm === 'postgres') group = 'postgres';
    else if (comm === 'java') {
      const cmdline = await readFile(`/proc/${pidText}/cmdline`, 'utf8').catch(() => '');
      if (cmdline.includes('streamline.stack')) group = 'kafka+registry (java)';
    }
    if (group === undefined) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    processes.set(pidNum, [
      group,
      (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / CLOCK_TICKS,
    ]);
  }
  return { processes, machineBusy: (await machineCpu()).busy / CLOCK_TICKS };
}

/** CPU seconds per group between two snapshots; processes that came or went count as other. */
function cpuDelta(a: CpuSnapshot, b: CpuSnapshot): Map<CpuGroup, number> {
  const out = new Map<CpuGroup, number>(CPU_GROUPS.map((g) => [g, 0]));
  let attributed = 0;
  for (const [pid, [group, seconds]] of b.processes) {
    const before = a.processes.get(pid);
    if (before === undefined) continue;
    const d = seconds - before[1];
    out.set(group, (out.get(group) ?? 0) + d);
    attributed += d;
  }
  out.set('other', b.machineBusy - a.machineBusy - attributed);
  return out;
}

interface MemorySample {
  readonly atS: number;
  readonly phase: string;
  readonly rssMiB: number;
}

// ---------------------------------------------------------------------------------------------
// Requests and outcomes
// ---------------------------------------------------------------------------------------------

const customers = Array.from({ length: ACCOUNTS }, (_, i) => `cust-${String(i).padStart(4, '0')}`);
const pick = (): string => customers[Math.floor(Math.random() * customers.length)] ?? 'cust-0000';

function uniformPair(): [string, string] {
  const debit = pick();
  let credit = pick();
  while (credit === debit) credit = pick();
  return [debit, credit];
}

const hotPair = (): [string, string] => [pick(), 'merchant'];

function request(debit: string, credit: string): TransferRequested {
  return {
    eventId: randomUUID(),
    transferId: randomUUID(),
    kind: 'TRANSFER',
    debitAccountId: debit,
    creditAccountId: credit,
    amountMinor: 1 + Math.floor(Math.random() * 500),
    currency: 'USD',
    relatedTransferId: null,
    timeoutSeconds: null,
    sourceSystem: 'bench',
    requestedAt: Date.now(),
    description: null,
    metadata: {},
  };
}

/** Reads both outcome topics for the whole run: first outcome timestamp per transfer id. */
class OutcomeReader {
  readonly outcomes = new Map<string, number>();
  raw = 0;
  rejected = 0;
  private watched: Set<string> | undefined;
  watchedSeen = 0;

  constructor(readonly consumer: Consumer) {}

  watch(ids: Set<string>): void {
    this.watched = ids;
    this.watchedSeen = 0;
    for (const key of ids) if (this.outcomes.has(key)) this.watchedSeen += 1;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [postedTopic, rejectedTopic], fromBeginning: true });
    await this.consumer.run({
      autoCommit: true,
      partitionsConsumedConcurrently: 6,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const key = m.key?.toString() ?? '';
          this.raw += 1;
          if (this.outcomes.has(key)) continue;
          this.outcomes.set(key, Number(m.timestamp));
          if (batch.topic === rejectedTopic) this.rejected += 1;
          if (this.watched?.has(key)) this.watchedSeen += 1;
        }
      },
    });
  }

  async waitFor(n: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.watchedSeen < n) {
      if (Date.now() > deadline) {
        throw new Error(`only ${this.watchedSeen}/${n} outcomes after ${timeoutMs} ms`);
      }
      await sleep(25);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

console.log(`bench:ledger — ${machine()}`);
const db = await createTestDatabase('bench_ledger');
const config = loadMessagingConfig(env, `bench-ledger-${id}`);
const kafka = createKafka(config);
const serde = AvroSerde.fromConfig(config);
const port = testPort(7);
const serviceEnv = {
  DATABASE_URL: db.url,
  KAFKA_TOPIC_PREFIX: prefix,
  LEDGER_CONSUMER_GROUP: `bench-ledger-${id}`,
  LOG_LEVEL: env.BENCH_SERVICE_LOG_LEVEL ?? 'warn',
  ...(env.BENCH_SERVICE_NODE_OPTIONS ? { NODE_OPTIONS: env.BENCH_SERVICE_NODE_OPTIONS } : {}),
};
const startService = (): Promise<ServiceProcess> =>
  startServiceProcess('ledger', port, serviceEnv, { readyTimeoutMs: 120_000 });
let service = await startService();
let pid = service.child.pid ?? 0;
const scrape = (): Promise<string> => fetch(`${service.url}/metrics`).then((r) => r.text());
const startedAt = performance.now();
let phase = 'setup';
const memory: MemorySample[] = [];
const sampler = setInterval(() => {
  void rssMiB(pid).then((rss) => {
    if (rss !== undefined) {
      memory.push({ atS: (performance.now() - startedAt) / 1000, phase, rssMiB: rss });
    }
  });
}, 1000);

const dataSource: DataSource = await initializeLedgerDataSource({
  url: db.url,
  poolMax: 4,
  ssl: false,
  applicationName: 'bench-ledger',
});
// The database-only baselines write the outbox as the service does: events encoded (bytea).
const outboxEncoder = new OutboxValueEncoder(serde, prefix);
await outboxEncoder.prepare([TOPICS.transferPosted.name, TOPICS.transferRejected.name]);
const repo = new LedgerRepository(dataSource, { encoder: outboxEncoder });
const naiveCustomers = customers.map((c) => `naive-${c}`);
await repo.createAccounts([
  { id: 'world', currency: 'USD', minBalanceMinor: null, sourceSystem: 'bench' },
  { id: 'merchant', currency: 'USD', sourceSystem: 'bench' },
  ...customers.map((c) => ({ id: c, currency: 'USD', sourceSystem: 'bench' })),
  ...naiveCustomers.map((c) => ({ id: c, currency: 'USD', sourceSystem: 'bench' })),
]);
const funding = (account: string): TransferRequest => ({
  transferId: randomUUID(),
  kind: 'TRANSFER',
  debitAccountId: 'world',
  creditAccountId: account,
  amountMinor: 1_000_000_000_000n,
  currency: 'USD',
  relatedTransferId: null,
  timeoutSeconds: null,
  sourceSystem: 'bench',
  requestEventId: null,
  requestedAt: new Date(),
  description: 'funding',
  metadata: {},
});
await repo.postBatch([...customers, ...naiveCustomers].map(funding));

const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
await producer.connect();
await serde.registerValueSchema(requestTopic, 'transfer-requested');
const reader = new OutcomeReader(
  kafka.consumer({
    groupId: `bench-reader-${id}`,
    maxWaitTimeInMs: 20,
    maxBytesPerPartition: 4 << 20,
  }),
);
await reader.start();

interface ThroughputResult {
  readonly name: string;
  readonly n: number;
  readonly produceS: number;
  readonly overallRate: number;
  readonly steadyRate: number;
  readonly seconds: number;
  readonly serviceCpuUsPerTransfer: number;
  readonly machineBusyPct: number;
  readonly stats: ServiceStats;
  readonly cpu: Map<CpuGroup, number>;
}

async function throughputPhase(
  name: string,
  pair: () => [string, string],
): Promise<ThroughputResult> {
  phase = name;
  const requests = Array.from({ length: TRANSFERS }, () => request(...pair()));
  const encoded = requests.map((r) => serde.encode(requestTopic, r));
  const ids = new Set(requests.map((r) => r.transferId));
  reader.watch(ids);
  // The backlog is produced while the ledger is down, so the drain measures the ledger alone
  // (not the load generator competing for the same two cores), then a fresh process drains it.
  await service.stop('SIGTERM');
  const p0 = Date.now();
  const inflight: Array<Promise<unknown>> = [];
  for (let i = 0; i < encoded.length; i += 5000) {
    inflight.push(
      producer.send({
        topic: requestTopic,
        acks: -1,
        messages: encoded
          .slice(i, i + 5000)
          .map((value, j) => ({ key: requests[i + j]?.transferId ?? null, value })),
      }),
    );
    if (inflight.length >= 4) await inflight.shift();
  }
  await Promise.all(inflight);
  const produceS = (Date.now() - p0) / 1000;
  service = await startService();
  pid = service.child.pid ?? 0;
  const before = await scrape();
  const cpu0 = await processCpuSeconds(pid);
  const m0 = await machineCpu();
  const g0 = await cpuSnapshot(pid);
  const t0 = Date.now();
  await reader.waitFor(TRANSFERS, 600_000);
  const cpu1 = await processCpuSeconds(pid);
  const m1 = await machineCpu();
  const cpu = cpuDelta(g0, await cpuSnapshot(pid));
  const stats = statsBetween(before, await scrape());
  const times = requests
    .map((r) => reader.outcomes.get(r.transferId) ?? Number.NaN)
    .sort((a, b) => a - b);
  const last = times[times.length - 1] ?? t0;
  const p10 = percentile(times, 10);
  const p90 = percentile(times, 90);
  return {
    name,
    n: TRANSFERS,
    produceS,
    seconds: (last - t0) / 1000,
    // From the moment the fresh process reported ready to the last outcome event.
    overallRate: TRANSFERS / ((last - t0) / 1000),
    steadyRate: (0.8 * TRANSFERS) / ((p90 - p10) / 1000),
    serviceCpuUsPerTransfer: ((cpu1 - cpu0) / TRANSFERS) * 1e6,
    machineBusyPct: ((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total)) * 100,
    stats,
    cpu,
  };
}

interface LatencyResult {
  readonly sent: number;
  readonly achievedRate: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly serviceCpuPct: number;
  readonly stats: ServiceStats;
  readonly cpu: Map<CpuGroup, number>;
  readonly seconds: number;
  /** From the database: request time → decided (consumer path), decided → marked published (relay). */
  readonly decideP50: number;
  readonly decideP99: number;
  readonly publishP50: number;
  readonly publishP99: number;
}

async function latencyPhase(): Promise<LatencyResult> {
  phase = 'latency';
  const total = Math.round(RATE * DURATION_S);
  const sentAt = new Map<string, number>();
  const ids = new Set<string>();
  reader.watch(ids);
  const tickMs = 10;
  const before = await scrape();
  const cpu0 = await processCpuSeconds(pid);
  const g0 = await cpuSnapshot(pid);
  const started = performance.now();
  let sent = 0;
  const inflight = new Set<Promise<unknown>>();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * RATE));
    const n = due - sent;
    if (n <= 0) {
      await sleep(tickMs / 2);
      continue;
    }
    const batch = Array.from({ length: n }, () => request(...uniformPair()));
    const now = Date.now();
    for (const r of batch) {
      sentAt.set(r.transferId, now);
      ids.add(r.transferId);
    }
    const send = producer.send({
      topic: requestTopic,
      acks: -1,
      messages: batch.map((r) => ({ key: r.transferId, value: serde.encode(requestTopic, r) })),
    });
    inflight.add(send);
    void send.finally(() => inflight.delete(send));
    sent += n;
    if (inflight.size >= 16) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  const sendSeconds = (performance.now() - started) / 1000;
  await reader.waitFor(total, 120_000);
  const cpu1 = await processCpuSeconds(pid);
  const cpu = cpuDelta(g0, await cpuSnapshot(pid));
  const seconds = (performance.now() - started) / 1000;
  const stats = statsBetween(before, await scrape());
  const latencies = [...sentAt].map(([k, t]) => (reader.outcomes.get(k) ?? Number.NaN) - t);
  latencies.sort((a, b) => a - b);
  const [split] = await dataSource.query<
    Array<{ d50: number; d99: number; p50: number; p99: number }>
  >(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d) AS d50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY d) AS d99,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY p) AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY p) AS p99
       FROM (SELECT extract(epoch FROM t.decided_at - t.requested_at) * 1000 AS d,
                    extract(epoch FROM o.published_at - t.decided_at) * 1000 AS p
               FROM ledger.transfers t JOIN ledger.outbox o ON o.msg_key = t.transfer_id::text
              WHERE t.transfer_id = ANY($1::uuid[])) x`,
    [[...ids]],
  );
  return {
    sent: total,
    achievedRate: total / sendSeconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
    serviceCpuPct: ((cpu1 - cpu0) / sendSeconds) * 100,
    stats,
    cpu,
    seconds,
    decideP50: split?.d50 ?? Number.NaN,
    decideP99: split?.d99 ?? Number.NaN,
    publishP50: split?.p50 ?? Number.NaN,
    publishP99: split?.p99 ?? Number.NaN,
  };
}

const results: ThroughputResult[] = [];
let latency: LatencyResult | undefined;
const memoryAtReady = (await rssMiB(pid)) ?? Number.NaN;
if (PHASES.has('uniform')) {
  progress(`uniform: ${TRANSFERS} transfers`);
  results.push(await throughputPhase('uniform', uniformPair));
}
if (PHASES.has('hot')) {
  progress(`hot account: ${TRANSFERS} transfers`);
  results.push(await throughputPhase('hot', hotPair));
}
if (PHASES.has('latency')) {
  progress(`latency: ${RATE}/s for ${DURATION_S}s`);
  latency = await latencyPhase();
}
phase = 'end';
await sleep(1100);
const memoryAtEnd = (await rssMiB(pid)) ?? Number.NaN;
clearInterval(sampler);
const exit = await service.stop('SIGTERM');
await reader.consumer.disconnect();
await producer.disconnect();

// ---------------------------------------------------------------------------------------------
// Baselines, database only
// ---------------------------------------------------------------------------------------------

interface BaselineResult {
  readonly name: string;
  readonly n: number;
  readonly rate: number;
}

function domainRequest(pair: [string, string]): TransferRequest {
  return {
    transferId: randomUUID(),
    kind: 'TRANSFER',
    debitAccountId: pair[0],
    creditAccountId: pair[1],
    amountMinor: BigInt(1 + Math.floor(Math.random() * 500)),
    currency: 'USD',
    relatedTransferId: null,
    timeoutSeconds: null,
    sourceSystem: 'bench',
    requestEventId: randomUUID(),
    requestedAt: new Date(),
    description: null,
    metadata: {},
  };
}

async function ledgerDbOnly(pair: () => [string, string]): Promise<BaselineResult> {
  await repo.postBatch(Array.from({ length: BATCH }, () => domainRequest(pair()))); // warm-up
  const batches = Array.from({ length: BASELINE_BATCHES }, () =>
    Array.from({ length: BATCH }, () => domainRequest(pair())),
  );
  const t0 = performance.now();
  for (const b of batches) await repo.postBatch(b);
  const n = BATCH * BASELINE_BATCHES;
  return { name: 'ledger postBatch, DB only', n, rate: n / ((performance.now() - t0) / 1000) };
}

/**
 * The same work as one ledger batch, written by hand with plain `pg`: look up the ids, lock the
 * balance rows in order, decide funds in JS, insert outcomes, entries and outbox rows and update
 * each balance once — all with unnest(), in one transaction.
 */
async function rawPgBatch(client: pg.PoolClient, reqs: readonly TransferRequest[]): Promise<void> {
  await client.query('BEGIN');
  try {
    const ids = reqs.map((r) => r.transferId);
    await client.query(
      'SELECT transfer_id FROM ledger.transfers WHERE transfer_id = ANY($1::uuid[])',
      [ids],
    );
    const accountIds = [
      ...new Set(reqs.flatMap((r) => [r.debitAccountId, r.creditAccountId])),
    ].sort();
    const { rows } = await client.query<{
      account_id: string;
      debits_posted: string;
      credits_posted: string;
      debits_pending: string;
      last_seq: string;
      min_balance_minor: string | null;
    }>(
      `SELECT account_id, debits_posted, credits_posted, debits_pending, last_seq, min_balance_minor
         FROM ledger.balances WHERE account_id = ANY($1::text[])
        ORDER BY account_id FOR NO KEY UPDATE`,
      [accountIds],
    );
    const now =
      (await client.query<{ now: Date }>('SELECT clock_timestamp() AS now')).rows[0]?.now ??
      new Date();
    const acc = new Map(
      rows.map((r) => [
        r.account_id,
        {
          dp: BigInt(r.debits_posted),
          cp: BigInt(r.credits_posted),
          dq: BigInt(r.debits_pending),
          seq: BigInt(r.last_seq),
          min: r.min_balance_minor === null ? null : BigInt(r.min_balance_minor),
        },
      ]),
    );
    const t = {
      id: [] as string[],
      status: [] as string[],
      code: [] as (string | null)[],
      fp: [] as string[],
      d: [] as string[],
      c: [] as string[],
      amt: [] as string[],
      dpa: [] as (string | null)[],
      cpa: [] as (string | null)[],
      ev: [] as string[],
      rq: [] as string[],
    };
    const e = {
      acc: [] as string[],
      seq: [] as string[],
      tid: [] as string[],
      side: [] as string[],
      amt: [] as string[],
      after: [] as string[],
    };
    const outbox = {
      ev: [] as string[],
      key: [] as string[],
      topic: [] as string[],
      value: [] as Buffer[],
    };
    for (const r of reqs) {
      const d = acc.get(r.debitAccountId);
      const c = acc.get(r.creditAccountId);
      const fp = createHash('sha256')
        .update(
          `${r.kind}|${r.debitAccountId}|${r.creditAccountId}|${r.amountMinor}|${r.currency}|${r.sourceSystem}`,
        )
        .digest('hex');
      const ok =
        d !== undefined &&
        c !== undefined &&
        (d.min === null || d.cp - d.dp - d.dq - r.amountMinor >= d.min);
      t.id.push(r.transferId);
      t.fp.push(fp);
      t.d.push(r.debitAccountId);
      t.c.push(r.creditAccountId);
      t.amt.push(r.amountMinor.toString());
      t.ev.push(r.requestEventId ?? randomUUID());
      t.rq.push(r.requestedAt.toISOString());
      if (ok) {
        d.dp += r.amountMinor;
        c.cp += r.amountMinor;
        d.seq += 1n;
        c.seq += 1n;
        t.status.push('POSTED');
        t.code.push(null);
        t.dpa.push((d.cp - d.dp).toString());
        t.cpa.push((c.cp - c.dp).toString());
        e.acc.push(r.debitAccountId, r.creditAccountId);
        e.seq.push(d.seq.toString(), c.seq.toString());
        e.tid.push(r.transferId, r.transferId);
        e.side.push('DEBIT', 'CREDIT');
        e.amt.push(r.amountMinor.toString(), r.amountMinor.toString());
        e.after.push((d.cp - d.dp).toString(), (c.cp - c.dp).toString());
      } else {
        t.status.push('REJECTED');
        t.code.push('LEDGER.INSUFFICIENT_FUNDS');
        t.dpa.push(null);
        t.cpa.push(null);
      }
      outbox.ev.push(randomUUID());
      outbox.key.push(r.transferId);
      outbox.topic.push(ok ? TOPICS.transferPosted.name : TOPICS.transferRejected.name);
      // Encoded as the service now writes them (OutboxValueEncoder → bytea `value`).
      const eventId = outbox.ev[outbox.ev.length - 1] ?? '';
      outbox.value.push(
        ok
          ? outboxEncoder.encode({
              eventId,
              topic: TOPICS.transferPosted.name,
              key: r.transferId,
              payload: {
                eventId,
                transferId: r.transferId,
                kind: r.kind,
                status: 'POSTED',
                debitAccountId: r.debitAccountId,
                creditAccountId: r.creditAccountId,
                amountMinor: Number(r.amountMinor),
                currency: r.currency,
                debitBalanceAfterMinor: Number(t.dpa[t.dpa.length - 1] ?? 0),
                creditBalanceAfterMinor: Number(t.cpa[t.cpa.length - 1] ?? 0),
                relatedTransferId: null,
                sourceSystem: r.sourceSystem,
                requestEventId: r.requestEventId,
                postedAt: now.getTime(),
              },
            })
          : outboxEncoder.encode({
              eventId,
              topic: TOPICS.transferRejected.name,
              key: r.transferId,
              payload: {
                eventId,
                transferId: r.transferId,
                code: 'LEDGER.INSUFFICIENT_FUNDS',
                reason: 'insufficient funds',
                kind: r.kind,
                debitAccountId: r.debitAccountId,
                creditAccountId: r.creditAccountId,
                amountMinor: Number(r.amountMinor),
                currency: r.currency,
                sourceSystem: r.sourceSystem,
                requestEventId: r.requestEventId,
                rejectedAt: now.getTime(),
              },
            }),
      );
    }
    await client.query(
      `INSERT INTO ledger.transfers (transfer_id, kind, status, result_code, fingerprint,
         debit_account_id, credit_account_id, amount_minor, currency, debit_posted_after,
         debit_pending_debits_after, debit_pending_credits_after, credit_posted_after,
         credit_pending_debits_after, credit_pending_credits_after, source_system,
         request_event_id, requested_at, decided_at)
       SELECT u.id, 'TRANSFER', u.status, u.code, decode(u.fp, 'hex'), u.d, u.c, u.amt, 'USD',
              u.dpa, CASE WHEN u.dpa IS NULL THEN NULL ELSE 0 END,
              CASE WHEN u.dpa IS NULL THEN NULL ELSE 0 END, u.cpa,
              CASE WHEN u.cpa IS NULL THEN NULL ELSE 0 END,
              CASE WHEN u.cpa IS NULL THEN NULL ELSE 0 END, 'bench', u.ev, u.rq, $12
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                     $7::bigint[], $8::bigint[], $9::bigint[], $10::uuid[], $11::timestamptz[])
              AS u(id, status, code, fp, d, c, amt, dpa, cpa, ev, rq)
        ORDER BY u.id`,
      [t.id, t.status, t.code, t.fp, t.d, t.c, t.amt, t.dpa, t.cpa, t.ev, t.rq, now],
    );
    await client.query(
      `INSERT INTO ledger.entries (account_id, seq, transfer_id, side, amount_minor,
         balance_after_minor, posted_at)
       SELECT *, $7::timestamptz FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::text[],
                                             $5::bigint[], $6::bigint[])`,
      [e.acc, e.seq, e.tid, e.side, e.amt, e.after, now],
    );
    const changed = [...acc.entries()];
    await client.query(
      `UPDATE ledger.balances b SET debits_posted = u.dp, credits_posted = u.cp, last_seq = u.seq,
              updated_at = $5
         FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) AS u(id, dp, cp, seq)
        WHERE b.account_id = u.id`,
      [
        changed.map(([k]) => k),
        changed.map(([, a]) => a.dp.toString()),
        changed.map(([, a]) => a.cp.toString()),
        changed.map(([, a]) => a.seq.toString()),
        now,
      ],
    );
    await client.query(
      `INSERT INTO ledger.outbox (event_id, topic, msg_key, value)
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[])`,
      [outbox.ev, outbox.topic, outbox.key, outbox.value],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  }
}

async function rawPg(pair: () => [string, string]): Promise<BaselineResult> {
  const pool = db.pool(1);
  const client = await pool.connect();
  try {
    await rawPgBatch(
      client,
      Array.from({ length: BATCH }, () => domainRequest(pair())),
    );
    const batches = Array.from({ length: BASELINE_BATCHES }, () =>
      Array.from({ length: BATCH }, () => domainRequest(pair())),
    );
    const t0 = performance.now();
    for (const b of batches) await rawPgBatch(client, b);
    const n = BATCH * BASELINE_BATCHES;
    return { name: `raw pg, batches of ${BATCH}`, n, rate: n / ((performance.now() - t0) / 1000) };
  } finally {
    client.release();
    await pool.end();
  }
}

/** One TypeORM transaction per transfer: look up, lock both accounts, write, commit. */
async function naive(): Promise<BaselineResult> {
  const pickNaive = (): string =>
    naiveCustomers[Math.floor(Math.random() * naiveCustomers.length)] ?? 'naive-cust-0000';
  const one = async (r: TransferRequest): Promise<void> => {
    await dataSource.transaction(async (m) => {
      const seen = await m.query<unknown[]>(
        'SELECT 1 FROM ledger.transfers WHERE transfer_id = $1',
        [r.transferId],
      );
      if (seen.length > 0) return;
      const rows = await m.query<
        Array<{
          account_id: string;
          debits_posted: string;
          credits_posted: string;
          last_seq: string;
        }>
      >(
        `SELECT account_id, debits_posted, credits_posted, last_seq FROM ledger.balances
          WHERE account_id = ANY($1::text[]) ORDER BY account_id FOR NO KEY UPDATE`,
        [[r.debitAccountId, r.creditAccountId]],
      );
      const d = rows.find((x) => x.account_id === r.debitAccountId);
      const c = rows.find((x) => x.account_id === r.creditAccountId);
      if (!d || !c) throw new Error('naive: account missing');
      const dAfter = BigInt(d.credits_posted) - BigInt(d.debits_posted) - r.amountMinor;
      const cAfter = BigInt(c.credits_posted) - BigInt(c.debits_posted) + r.amountMinor;
      const fp = createHash('sha256')
        .update(`${r.debitAccountId}|${r.creditAccountId}|${r.amountMinor}`)
        .digest();
      await m.query(
        `INSERT INTO ledger.transfers (transfer_id, kind, status, fingerprint, debit_account_id,
           credit_account_id, amount_minor, currency, debit_posted_after, debit_pending_debits_after,
           debit_pending_credits_after, credit_posted_after, credit_pending_debits_after,
           credit_pending_credits_after, source_system, request_event_id, requested_at, decided_at)
         VALUES ($1, 'TRANSFER', 'POSTED', $2, $3, $4, $5, 'USD', $6, 0, 0, $7, 0, 0, 'bench', $8, $9, now())`,
        [
          r.transferId,
          fp,
          r.debitAccountId,
          r.creditAccountId,
          r.amountMinor.toString(),
          dAfter.toString(),
          cAfter.toString(),
          r.requestEventId,
          r.requestedAt,
        ],
      );
      await m.query(
        `INSERT INTO ledger.entries (account_id, seq, transfer_id, side, amount_minor, balance_after_minor, posted_at)
         VALUES ($1, $2, $3, 'DEBIT', $4, $5, now()), ($6, $7, $3, 'CREDIT', $4, $8, now())`,
        [
          r.debitAccountId,
          (BigInt(d.last_seq) + 1n).toString(),
          r.transferId,
          r.amountMinor.toString(),
          dAfter.toString(),
          r.creditAccountId,
          (BigInt(c.last_seq) + 1n).toString(),
          cAfter.toString(),
        ],
      );
      await m.query(
        `UPDATE ledger.balances SET debits_posted = debits_posted + $2, last_seq = last_seq + 1 WHERE account_id = $1`,
        [r.debitAccountId, r.amountMinor.toString()],
      );
      await m.query(
        `UPDATE ledger.balances SET credits_posted = credits_posted + $2, last_seq = last_seq + 1 WHERE account_id = $1`,
        [r.creditAccountId, r.amountMinor.toString()],
      );
      await m.query(
        `INSERT INTO ledger.outbox (event_id, topic, msg_key, payload) VALUES ($1, $2, $3, $4::jsonb)`,
        [
          randomUUID(),
          TOPICS.transferPosted.name,
          r.transferId,
          JSON.stringify({ transferId: r.transferId, amountMinor: Number(r.amountMinor) }),
        ],
      );
    });
  };
  const pairNaive = (): [string, string] => {
    const a = pickNaive();
    let b = pickNaive();
    while (b === a) b = pickNaive();
    return [a, b];
  };
  for (let i = 0; i < 50; i++) await one(domainRequest(pairNaive())); // warm-up
  const reqs = Array.from({ length: NAIVE_TRANSFERS }, () => domainRequest(pairNaive()));
  const t0 = performance.now();
  for (const r of reqs) await one(r);
  return {
    name: 'naive: 1 TypeORM tx per transfer',
    n: NAIVE_TRANSFERS,
    rate: NAIVE_TRANSFERS / ((performance.now() - t0) / 1000),
  };
}

const baselines: BaselineResult[] = [];
if (PHASES.has('baselines')) {
  progress('baselines (database only)');
  baselines.push(await rawPg(uniformPair));
  baselines.push(await ledgerDbOnly(uniformPair));
  baselines.push({ ...(await rawPg(hotPair)), name: `raw pg, batches of ${BATCH}, hot account` });
  baselines.push({
    ...(await ledgerDbOnly(hotPair)),
    name: 'ledger postBatch, DB only, hot account',
  });
  baselines.push(await naive());
}
await dataSource.destroy();

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const targetOf: Record<string, number> = { uniform: 10_000, hot: 5_000 };
console.log(
  `\n${TRANSFERS.toLocaleString('en-US')} transfers per throughput phase; latency phase ${RATE}/s for ${DURATION_S}s; ` +
    `${ACCOUNTS} customer accounts; service exit ${exit.code ?? exit.signal}\n`,
);
console.log('End to end (request on Kafka → outcome event on Kafka), ledger as a process:');
console.log(
  table(
    [
      'phase',
      'transfers',
      'seconds',
      'transfers/s overall',
      'transfers/s steady (p10-p90)',
      'target',
      'batches',
      'mean batch',
      'mean post ms',
    ],
    results.map((r) => [
      r.name === 'hot' ? 'hot account' : r.name,
      r.n,
      r.seconds,
      r.overallRate,
      r.steadyRate,
      `≥ ${fmt(targetOf[r.name] ?? 0)}/s ${Math.max(r.overallRate, r.steadyRate) >= (targetOf[r.name] ?? 0) ? 'met' : 'MISSED'}`,
      r.stats.batches,
      r.stats.meanBatch,
      r.stats.meanPostMs,
    ]),
  ),
);
if (latency) {
  console.log(`\nLatency at a fixed offered rate (${RATE}/s, ${DURATION_S}s, uniform mix):`);
  console.log(
    table(
      [
        'sent',
        'achieved rate /s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'target',
        'batches',
        'mean batch',
        'mean post ms',
        'request→decided p50/p99 ms',
        'decided→published p50/p99 ms',
        'vacuums (s)',
      ],
      [
        [
          latency.sent,
          latency.achievedRate,
          latency.p50,
          latency.p99,
          latency.max,
          `p99 < 250 ms ${latency.p99 < 250 ? 'met' : 'MISSED'}`,
          latency.stats.batches,
          latency.stats.meanBatch,
          latency.stats.meanPostMs,
          `${Math.round(latency.decideP50)} / ${Math.round(latency.decideP99)}`,
          `${Math.round(latency.publishP50)} / ${Math.round(latency.publishP99)}`,
          `${latency.stats.vacuums} (${latency.stats.vacuumSeconds.toFixed(1)})`,
        ],
      ],
    ),
  );
}
if (results.length > 0 || latency) {
  console.log(
    '\nWhere the CPU went (whole machine, 2 cores = 200%): µs of CPU per transfer in the throughput phases, % of one core in the latency phase:',
  );
  const cpuRows: Array<Array<string | number>> = results.map((r) => [
    `${r.name} (µs/transfer)`,
    ...CPU_GROUPS.map((g) => ((r.cpu.get(g) ?? 0) / r.n) * 1e6),
    r.machineBusyPct,
  ]);
  if (latency) {
    cpuRows.push([
      'latency (% of a core)',
      ...CPU_GROUPS.map((g) => ((latency?.cpu.get(g) ?? 0) / (latency?.seconds ?? 1)) * 100),
      Number.NaN,
    ]);
  }
  console.log(table(['phase', ...CPU_GROUPS, 'machine busy %'], cpuRows));
}
if (baselines.length > 0) {
  console.log(`\nBaselines, database only (same tables, same run, after the service stopped):`);
  console.log(
    table(
      ['path', 'transfers', 'transfers/s'],
      baselines.map((b) => [b.name, b.n, b.rate]),
    ),
  );
}
const rss = memory.map((m) => m.rssMiB);
const byPhase = new Map<string, number[]>();
for (const m of memory) byPhase.set(m.phase, [...(byPhase.get(m.phase) ?? []), m.rssMiB]);
console.log('\nService RSS (MiB), sampled every second:');
console.log(
  table(
    [
      'at ready',
      'end',
      'max',
      'samples',
      ...[...byPhase.keys()].map((p) => `${p} first→last (max)`),
    ],
    [
      [
        memoryAtReady,
        memoryAtEnd,
        Math.max(...rss),
        rss.length,
        ...[...byPhase.values()].map(
          (v) =>
            `${Math.round(v[0] ?? 0)}→${Math.round(v[v.length - 1] ?? 0)} (${Math.round(Math.max(...v))})`,
        ),
      ],
    ],
  ),
);
const latencyRss = memory.filter((m) => m.phase === 'latency');
if (latencyRss.length > 10) {
  const n = latencyRss.length;
  const meanT = latencyRss.reduce((a, m) => a + m.atS, 0) / n;
  const meanR = latencyRss.reduce((a, m) => a + m.rssMiB, 0) / n;
  const slope =
    latencyRss.reduce((a, m) => a + (m.atS - meanT) * (m.rssMiB - meanR), 0) /
    latencyRss.reduce((a, m) => a + (m.atS - meanT) ** 2, 0);
  const deciles = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100].map((p) =>
    Math.round(latencyRss[Math.min(n - 1, Math.floor((p / 100) * (n - 1)))]?.rssMiB ?? 0),
  );
  console.log(
    `RSS through the latency phase (every 10% of its ${Math.round(latencyRss[n - 1]?.atS ?? 0) - Math.round(latencyRss[0]?.atS ?? 0)} s): ${deciles.join(' → ')} MiB; least-squares slope ${(slope * 60).toFixed(1)} MiB/min`,
  );
}
console.log(
  `\nraw outcome records read: ${reader.raw.toLocaleString('en-US')} for ${reader.outcomes.size.toLocaleString('en-US')} transfer ids (${(reader.raw - reader.outcomes.size).toLocaleString('en-US')} duplicates); rejected: ${reader.rejected}`,
);

if (env.BENCH_KEEP !== '1') {
  const admin = kafka.admin();
  await admin.connect();
  const existing = new Set(await admin.listTopics());
  await admin
    .deleteTopics({ topics: [...existing].filter((t) => t.startsWith(prefix)) })
    .catch(() => undefined);
  await admin.disconnect();
  await db.drop();
}
