/**
 * `npm run bench:alerts` — log lines through the whole alerting pipeline with 50 active rules,
 * beside a raw kafkajs consume of the same topic in the same run, then the latency from a line
 * being produced to its webhook arriving, at a fixed rate.
 *
 * Phase 1 (throughput): N real log lines (the 15 loghub samples, recycled with fresh ids and
 * timestamps) are produced to logs.lines (6 partitions), plus one sentinel line per partition
 * at the end. Then:
 *   - raw: a kafkajs consumer (eachBatch, count, commit; no decoding) drains the topic;
 *   - pipeline: the alerting service (its own process, 50 rules) consumes the same topic from
 *     the start; lines/s = lines after the group's first commit / (that commit → the last
 *     sentinel's FIRING event read back from alerts.events), i.e. topic → engine → alerts +
 *     outbox + state committed → relay → alert events. The first commit is watched from this
 *     process while the service boots (its consumers fetch before it reports ready).
 * Phase 2 (latency): alerting and notifier run; lines are produced at BENCH_RATE/s (10,000) for
 * BENCH_SECONDS; 1 in 200 is a probe that opens its own alert; a subscription (group_wait 0)
 * delivers it to a webhook in this process; latency = webhook received − line produced.
 *
 * Env: BENCH_LINES (default 1,000,000), BENCH_RATE (10000), BENCH_SECONDS (20),
 * EVAL_DATA_DIR (loghub samples, default ../shared/eval-data). Services run from source
 * (node --import tsx src/<service>/main.ts), each in its own process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { createApiKey } from '../src/platform/auth/api-keys.js';
import { AvroSerde } from '../src/platform/messaging/avro-serde.js';
import { bootstrapTopics } from '../src/platform/messaging/bootstrap.js';
import { createKafka, loadMessagingConfig } from '../src/platform/messaging/kafka.js';
import { allTopicSpecs, physicalTopic, TOPICS } from '../src/platform/messaging/topics.js';
import { type AlertEvent, type LogLine } from '../src/platform/schemas/generated.js';
import { benchRuleSet, type RawRule } from '../src/alerting/domain/bench/bench-rules.js';
import { freePort } from '../test/support/throwaway-servers.js';
import { AlertEngine, ENGINE_DEFAULTS } from '../src/alerting/domain/index.js';
import { startModuleWorker } from '../src/platform/workers/start-worker.js';
import type { CeilingMessage, CeilingWorkerData } from './alerts-ceiling.worker.js';
import {
  loghubSample,
  machine,
  percentile,
  rawKafkaDrain,
  runId,
  sleep,
  table,
} from './support.js';

const totalLines = Number(process.env.BENCH_LINES ?? 1_000_000);
const rate = Number(process.env.BENCH_RATE ?? 10_000);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const partitions = TOPICS.logLines.partitions;
/** kafkajs consumers the alerting service runs (its ALERTING_CONSUMERS, default 2). */
const consumers = Number(process.env.ALERTING_CONSUMERS ?? 2);
const phases = (process.env.BENCH_PHASES ?? 'throughput,latency').split(',');
/** Threads of the consumer-threads ceiling drain (0: no such drain). */
const ceilingThreads = Number(process.env.BENCH_CEILING_THREADS ?? 2);
/**
 * Node flags of the service processes: by default the ones the product runs the alerting service
 * with (docker-compose.yml, the demo); BENCH_NODE_ARGS overrides ('' = none).
 */
const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '--max-semi-space-size=64')
  .split(' ')
  .filter(Boolean);
const root = join(import.meta.dirname, '..');
const sample = loghubSample(root, 'bench:alerts');

const id = runId();
const prefix = `bench-alerts-${id}.`;
const linesTopic = physicalTopic(TOPICS.logLines.name, prefix);
const eventsTopic = physicalTopic(TOPICS.alertEvents.name, prefix);
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/streamline';
const dbName = `bench_alerts_${id.replace(/-/g, '_')}`;
const dbUrl = (() => {
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
const config = loadMessagingConfig(process.env, `bench-alerts-${id}`);
const kafka = createKafka(config);
const serde = AvroSerde.fromConfig(config);
const producer = kafka.producer({ allowAutoTopicCreation: false });

// ---------------------------------------------------------------- rules: 50 active
const sentinelKeyword = `BENCH-SENTINEL-${id}`;
const fixed: RawRule[] = [
  {
    id: 'bench-sentinel',
    type: 'pattern',
    severity: 'info',
    match: { keywords: [sentinelKeyword], case_sensitive: true },
    group_by: ['source'],
  },
  {
    id: 'bench-probe',
    type: 'pattern',
    severity: 'info',
    match: { regex: 'latency-probe (?<probe>\\d+)' },
    group_by: ['fields.probe'],
    realert: '0s',
  },
];
const { rules, compiled: benchRules } = benchRuleSet(root, fixed);
const rulesFile = join(mkdtempSync(join(tmpdir(), 'bench-alerts-')), 'rules.yaml');
writeFileSync(rulesFile, stringify({ version: 1, rules }));

// ---------------------------------------------------------------- lines
const meanLength = sample.reduce((n, l) => n + l.message.length, 0) / sample.length;

function benchLine(i: number, timestamp: number): LogLine {
  const l = sample[i % sample.length]!;
  return { ...l, eventId: randomUUID(), timestamp };
}

async function produceAll(): Promise<{ count: number; rate: number }> {
  await serde.registerValueSchema(linesTopic, 'log-line');
  const started = performance.now();
  const t0 = Date.now() - Math.ceil(totalLines / 100);
  const batch = 2000;
  const inflight: Array<Promise<unknown>> = [];
  for (let i = 0; i < totalLines; i += batch) {
    const messages = [];
    for (let j = i; j < Math.min(totalLines, i + batch); j++) {
      const l = benchLine(j, t0 + Math.floor(j / 100)); // 100 lines per ms of log time
      messages.push({ key: l.source, value: serde.encode(linesTopic, l) });
    }
    inflight.push(producer.send({ topic: linesTopic, acks: -1, messages }));
    if (inflight.length >= 4) await inflight.shift();
  }
  await Promise.all(inflight);
  // One sentinel per partition, last in each: its alert means the partition is done.
  await producer.send({
    topic: linesTopic,
    acks: -1,
    messages: Array.from({ length: partitions }, (_, p) => ({
      partition: p,
      key: `sentinel-${p}`,
      value: serde.encode(linesTopic, {
        eventId: randomUUID(),
        // The end of the lines' own time: a wall-clock stamp would push the engine's single
        // watermark past lines still queued in other partitions (they would count as late).
        timestamp: t0 + Math.floor(totalLines / 100),
        source: `sentinel-${p}`,
        host: null,
        level: 'INFO',
        message: `${sentinelKeyword} end of partition ${p}`,
        fields: {},
      } satisfies LogLine),
    })),
  });
  const count = totalLines + partitions;
  return { count, rate: count / ((performance.now() - started) / 1000) };
}

// ---------------------------------------------------------------- services
interface Service {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: string[];
  stop(): Promise<void>;
}

async function startService(
  name: 'alerting' | 'notifier',
  env: Record<string, string>,
): Promise<Service> {
  // The OS picks a port nothing listens on (a random one could be a kafkajs connection's).
  const port = await freePort();
  const profile = process.env.BENCH_PROFILE_DIR;
  const args = [
    ...nodeArgs,
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
    '--import',
    'tsx',
    join(root, `src/${name}/main.ts`),
  ];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      HTTP_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DATABASE_URL: dbUrl,
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (b: Buffer): void => {
    output.push(...b.toString().split('\n').filter(Boolean));
    if (output.length > 2000) output.splice(0, output.length - 2000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${output.slice(-20).join('\n')}`);
    const res = await fetch(`${url}/health/ready`).catch(() => undefined);
    if (res?.status === 200) break;
    if (Date.now() > deadline)
      throw new Error(`${name} not ready: ${output.slice(-20).join('\n')}`);
    await sleep(100);
  }
  return {
    child,
    url,
    output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(name) && (line[name.length] === '{' || line[name.length] === ' '))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** Upper bound of the histogram bucket holding quantile `q` (all label sets summed). */
async function bucketQuantile(url: string, name: string, q: number): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const buckets = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`)) continue;
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (le) buckets.set(le, (buckets.get(le) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  const sorted = [...buckets.entries()].sort(
    (a, b) =>
      (a[0] === '+Inf' ? Infinity : Number(a[0])) - (b[0] === '+Inf' ? Infinity : Number(b[0])),
  );
  const total = sorted[sorted.length - 1]?.[1] ?? 0;
  for (const [le, n] of sorted)
    if (n >= q * total) return le === '+Inf' ? '+Inf' : `${Number(le) * 1000} ms`;
  return '?';
}

/** Reads alerts.events from the start; resolves when `done(events)` holds. */
async function watchEvents(
  done: (events: AlertEvent[]) => boolean,
): Promise<{ at: number; events: AlertEvent[] }> {
  const consumer = kafka.consumer({
    groupId: `events-${id}-${randomBytes(2).toString('hex')}`,
    // A fetch returns as soon as an event arrives; the long wait only keeps this reader from
    // polling the broker while the service under test works (it shares the 2 cores).
    maxWaitTimeInMs: 500,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: eventsTopic, fromBeginning: true });
  const events: AlertEvent[] = [];
  return new Promise((resolve, reject) => {
    let finished = false;
    void consumer
      .run({
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages)
            events.push((await serde.registry.decode(m.value as Buffer)) as AlertEvent);
          if (!finished && done(events)) {
            finished = true;
            const at = performance.now();
            void consumer.disconnect().then(() => resolve({ at, events }));
          }
        },
      })
      .catch(reject);
  });
}

/**
 * Polls the group's committed offsets on the lines topic until one is set: when, and how many
 * lines were committed by then (they are left out of the rate, like the time they took).
 */
async function watchFirstCommit(
  groupId: string,
  cancelled: () => boolean,
): Promise<{ at: number; committed: number }> {
  const admin = kafka.admin();
  await admin.connect();
  const deadline = Date.now() + 120_000;
  try {
    for (;;) {
      if (cancelled()) throw new Error('cancelled');
      if (Date.now() > deadline) throw new Error(`group ${groupId} committed nothing in 120 s`);
      const [entry] = await admin.fetchOffsets({ groupId, topics: [linesTopic] });
      const committed = (entry?.partitions ?? [])
        .map((p) => Number(p.offset))
        .filter((o) => o > 0)
        .reduce((n, o) => n + o, 0);
      if (committed > 0) return { at: performance.now(), committed };
      await sleep(5);
    }
  } finally {
    await admin.disconnect();
  }
}

async function pipelineDrain(expected: number): Promise<{
  rate: number;
  events: number;
  commits: number;
  seconds: number;
  groupStats: string;
  skipped: number;
}> {
  const sentinels = new Set<string>();
  const watcher = watchEvents((events) => {
    for (const e of events)
      if (e.ruleId === 'bench-sentinel' && e.status === 'FIRING') sentinels.add(e.groupKey);
    return sentinels.size === partitions;
  });
  const groupId = `alerting-${id}`;
  // The clock starts at the group's first commit, watched from outside while the service boots:
  // its consumers start fetching as soon as the first of them has joined, before the service
  // reports ready, so "ready" would start the clock after work already done.
  let startFailed = false;
  const firstCommit = watchFirstCommit(groupId, () => startFailed);
  firstCommit.catch(() => undefined); // awaited below; a failed start must not leave it unhandled
  const svc = await startService('alerting', {
    ALERT_RULES_FILE: rulesFile,
    ALERTING_GROUP_ID: groupId,
  }).catch((err: unknown) => {
    startFailed = true;
    throw err;
  });
  const first = await firstCommit;
  const cpuMetric = 'streamline_process_process_cpu_seconds_total';
  const linesMetric = 'streamline_alerting_lines_total';
  const usage = async (): Promise<{ cpu: number; lines: number; at: number }> => ({
    cpu: await metric(svc.url, cpuMetric),
    lines: await metric(svc.url, linesMetric),
    at: performance.now(),
  });
  const from = await usage();
  const { at, events } = await watcher;
  const to = await usage();
  const cpuSeconds = to.cpu - from.cpu;
  const cpu = `${((cpuSeconds / Math.max(1, to.lines - from.lines)) * 1e6).toFixed(2)} µs of CPU per line (${(cpuSeconds / ((to.at - from.at) / 1000)).toFixed(2)} cores)`;
  const seconds = (at - first.at) / 1000;
  const ticks = await metric(svc.url, 'streamline_alerting_ticks_total');
  const byRule = new Map<string, number>();
  for (const e of events)
    byRule.set(`${e.ruleId}/${e.status}`, (byRule.get(`${e.ruleId}/${e.status}`) ?? 0) + 1);
  console.log(
    `  alert events by rule: ${[...byRule]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 6)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}; ticks during the drain: ${ticks}`,
  );
  const processed = await metric(svc.url, 'streamline_alerting_lines_total');
  const commits = await metric(svc.url, 'streamline_alerting_commit_duration_seconds_count');
  const commitSeconds = await metric(svc.url, 'streamline_alerting_commit_duration_seconds_sum');
  const mutations = await metric(svc.url, 'streamline_alerting_commit_mutations_sum');
  const joins = await metric(svc.url, 'streamline_consumer_rebalances_total');
  const groupStats = `${cpu}; ${joins} group joins (${consumers} members); ${commits} commits, mean ${((commitSeconds / Math.max(1, commits)) * 1000).toFixed(1)} ms, ${(mutations / Math.max(1, commits)).toFixed(1)} engine calls each`;
  await svc.stop();
  if (processed < expected)
    console.warn(`alerting counted ${processed} lines, expected ${expected}`);
  return {
    rate: (expected - first.committed) / seconds,
    events: events.length,
    commits,
    seconds,
    groupStats,
    skipped: first.committed,
  };
}

// ---------------------------------------------------------------- latency
const stageMeans: string[] = [];
async function latencyPhase(): Promise<{
  p50: number;
  p99: number;
  max: number;
  sent: number;
  received: number;
  produced: number;
}> {
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  // The receiver runs in its own process (this one is busy producing): it answers at once and
  // prints "<probe> <received at>" per alert.
  const receiverScript = `
    import { createServer } from 'node:http';
    const server = createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const now = Date.now();
        res.end('ok');
        const body = JSON.parse(Buffer.concat(chunks).toString());
        for (const a of body.alerts) {
          const probe = a.labels.probe ?? a.labels.fields_probe;
          if (probe !== undefined) process.stdout.write(probe + ' ' + now + '\\n');
        }
      });
    });
    server.listen(0, '127.0.0.1', () => process.stdout.write('port ' + server.address().port + '\\n'));
  `;
  const receiver = spawn(process.execPath, ['--input-type=module', '-e', receiverScript], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const hook = await new Promise<string>((resolve) => {
    let buffered = '';
    receiver.stdout.on('data', (b: Buffer) => {
      buffered += b.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const [a, b2] = buffered.slice(0, nl).split(' ');
        buffered = buffered.slice(nl + 1);
        if (a === 'port') resolve(`http://127.0.0.1:${b2}/hook`);
        else if (a !== undefined && b2 !== undefined) {
          const t = sentAt.get(a);
          if (t !== undefined) {
            latencies.push(Number(b2) - t);
            sentAt.delete(a);
          }
        }
      }
    });
  });
  const alerting = await startService('alerting', {
    ALERT_RULES_FILE: rulesFile,
    ALERTING_GROUP_ID: `alerting-${id}`,
  });
  const notifier = await startService('notifier', {
    NOTIFIER_GROUP_ID: `notifier-${id}`,
    WEBHOOK_ALLOWLIST: '127.0.0.1',
    WEBHOOK_ALLOW_HTTP: 'true',
  });
  const pool = new pg.Pool({ connectionString: dbUrl, max: 1 });
  const { key } = await createApiKey(pool, { name: 'bench', scopes: ['notifications:write'] });
  await pool.end();
  const res = await fetch(`${notifier.url}/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({
      id: 'bench-latency',
      receiver: { type: 'webhook', url: hook, secret: randomBytes(16).toString('hex') },
      filter: { ruleIds: ['bench-probe'] },
      route: { groupBy: ['...'], groupWait: '0s', groupInterval: '1s', repeatInterval: '1h' },
    }),
  });
  if (res.status !== 201) throw new Error(`subscription: ${res.status} ${await res.text()}`);
  await sleep(1500);

  const total = rate * seconds;
  const tickMs = 20;
  const started = performance.now();
  let produced = 0;
  let probes = 0;
  while (produced < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    if (due > produced) {
      const now = Date.now();
      const messages = [];
      for (let i = produced; i < due; i++) {
        let l: LogLine;
        if (i % 200 === 0) {
          const probe = String(probes++);
          sentAt.set(probe, now);
          l = {
            eventId: randomUUID(),
            timestamp: now,
            source: `probe-${probe.length % 6}`,
            host: null,
            level: 'INFO',
            message: `latency-probe ${probe}`,
            fields: {},
          };
        } else l = benchLine(i, now);
        messages.push({ key: l.source, value: serde.encode(linesTopic, l) });
      }
      await producer.send({ topic: linesTopic, acks: -1, messages });
      produced = due;
    } else await sleep(tickMs / 4);
  }
  const deadline = Date.now() + 15_000;
  while (latencies.length < probes && Date.now() < deadline) await sleep(50);
  // Where the time goes: mean of each stage's histogram (sum / count).
  const stages: Array<[string, string, string]> = [
    [alerting.url, 'alerting', 'streamline_consumer_event_latency_seconds'],
    [alerting.url, 'alerting', 'streamline_alerting_commit_duration_seconds'],
    [alerting.url, 'alerting', 'streamline_consumer_batch_duration_seconds'],
    [notifier.url, 'notifier', 'streamline_consumer_event_latency_seconds'],
    [notifier.url, 'notifier', 'streamline_consumer_batch_duration_seconds'],
    [notifier.url, 'notifier', 'streamline_notifier_delivery_latency_seconds'],
    [notifier.url, 'notifier', 'streamline_notifier_attempt_duration_seconds'],
  ];
  for (const [url, svc, name] of stages) {
    const sum = await metric(url, `${name}_sum`);
    const count = await metric(url, `${name}_count`);
    const p99 = await bucketQuantile(url, name, 0.99);
    stageMeans.push(
      `${svc} ${name.replace('streamline_', '')}: mean ${((sum / Math.max(1, count)) * 1000).toFixed(1)} ms, p99 ≤ ${p99} (n=${count})`,
    );
  }
  await notifier.stop();
  await alerting.stop();
  receiver.kill('SIGTERM');
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
    sent: probes,
    received: latencies.length,
    produced,
  };
}

// ---------------------------------------------------------------- ceiling
/**
 * A bound for an alerting service whose kafkajs consumers run on worker threads: `threads`
 * worker threads, each a kafkajs consumer in one group that decodes and matches every chunk
 * itself (decodeAndMatch, the 50 rules) and commits; this thread applies their results to an
 * engine (as the service's main thread would) — no database, no events. Timed like the raw
 * drain: the first batch's start → the last chunk applied.
 */
async function ceilingDrain(threads: number, expected: number): Promise<number> {
  const groupId = `ceiling-${id}`;
  const engine = new AlertEngine(benchRules);
  const workers: Array<ReturnType<typeof startModuleWorker>> = [];
  const reached = new Map<number, number>();
  let done = 0;
  let first = 0;
  let last = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      for (let i = 0; i < threads; i++) {
        const workerData: CeilingWorkerData = {
          messaging: config,
          topic: linesTopic,
          groupId,
          specs: benchRules.rules.map((r) => r.spec),
          chunkSize: 10_000,
          maxLineLength: ENGINE_DEFAULTS.maxLineLength,
        };
        const worker = startModuleWorker(import.meta.url, './alerts-ceiling.worker', {
          workerData,
        });
        workers.push(worker);
        worker.on('message', (m: CeilingMessage) => {
          if (m.type === 'start') {
            if (first === 0 || m.at < first) first = m.at;
            return;
          }
          engine.processPrematched(m.chunk);
          // Lines done = offsets reached, so a chunk replayed after a rebalance counts once.
          const before = reached.get(m.partition) ?? 0;
          if (m.next > before) {
            reached.set(m.partition, m.next);
            done += m.next - before;
          }
          if (done >= expected) {
            last = Date.now();
            resolve();
          }
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (done < expected) reject(new Error(`ceiling thread exited (code ${code})`));
        });
      }
      setTimeout(
        () => reject(new Error(`ceiling drain: ${done} of ${expected} lines after 5 minutes`)),
        300_000,
      ).unref();
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return expected / ((last - first) / 1000);
}

// ---------------------------------------------------------------- main
const load1 = os
  .loadavg()
  .map((x) => x.toFixed(1))
  .join(' / ');
console.log(`bench:alerts — ${machine()}`);
console.log(
  `${totalLines.toLocaleString('en-US')} loghub lines (${sample.length} distinct, mean ${meanLength.toFixed(0)} chars), ${partitions} partitions, 50 active rules; latency phase ${rate}/s for ${seconds}s; load average ${load1}\n`,
);
{
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  await admin.end();
}
await producer.connect();
await bootstrapTopics(kafka, serde, pino({ level: 'warn' }), allTopicSpecs(prefix));
try {
  if (phases.includes('throughput')) {
    console.log('  … producing');
    const produced = await produceAll();
    console.log('  … raw drain');
    const rawCpu = process.cpuUsage();
    const raw = await rawKafkaDrain(kafka, `raw-${id}`, linesTopic, produced.count);
    const rawUsage = process.cpuUsage(rawCpu);
    const rawCpuPerLine = (rawUsage.user + rawUsage.system) / produced.count;
    console.log('  … pipeline drain');
    const pipe = await pipelineDrain(produced.count);
    let ceiling: number | undefined;
    if (ceilingThreads > 0) {
      console.log('  … ceiling drain');
      ceiling = await ceilingDrain(ceilingThreads, produced.count);
    }
    console.log(
      table(
        ['path', 'lines/s', 'notes'],
        [
          [
            'produce (kafkajs, acks=all, pre-encoded)',
            produced.rate,
            `${produced.count.toLocaleString('en-US')} lines`,
          ],
          [
            'raw kafkajs consume (count + commit)',
            raw,
            `same topic, same run; ${rawCpuPerLine.toFixed(2)} µs of CPU per line`,
          ],
          [
            'alerting pipeline (topic → alert events)',
            pipe.rate,
            `${pipe.seconds.toFixed(1)} s after the first commit (${pipe.skipped.toLocaleString('en-US')} lines in), ${pipe.events} alert events, ${pipe.commits} commits`,
          ],
          ...(ceiling === undefined
            ? []
            : [
                [
                  `ceiling: ${ceilingThreads} kafkajs threads + decode/match, engine`,
                  ceiling,
                  `engine on this thread, no database; ${((ceiling / raw) * 100).toFixed(0)}% of raw`,
                ],
              ]),
        ],
      ),
    );
    console.log(
      `\npipeline / raw: ${((pipe.rate / raw) * 100).toFixed(0)}% (target ≥ 70%); pipeline ${Math.round(pipe.rate).toLocaleString('en-US')} lines/s (target ≥ 100,000)`,
    );
    console.log(`alerting service during the drain: ${pipe.groupStats}`);
  }
  if (phases.includes('latency')) {
    console.log('  … latency phase');
    await serde.registerValueSchema(linesTopic, 'log-line');
    const lat = await latencyPhase();
    console.log(
      `line → webhook at ${rate}/s (${lat.produced.toLocaleString('en-US')} lines, ${lat.sent} probes, ${lat.received} received): p50 ${lat.p50} ms, p99 ${lat.p99} ms, max ${lat.max} ms (target p99 < 1000 ms)`,
    );
    console.log(`\nlatency phase, mean per stage:\n  ${stageMeans.join('\n  ')}`);
  }
} finally {
  const admin = kafka.admin();
  await admin.connect();
  await admin
    .deleteTopics({ topics: allTopicSpecs(prefix).map((s) => s.name) })
    .catch(() => undefined);
  await admin.disconnect();
  await producer.disconnect();
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
  await c.end();
}
