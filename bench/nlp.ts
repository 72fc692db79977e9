/**
 * `npm run bench:nlp` — the sentiment service end to end (comments.submitted → worker-thread
 * classification → PostgreSQL → comments.analyzed) as a real process from the build, beside the
 * in-process classifier rate (`analyze()` in a loop on one thread, same texts) in the same run.
 *
 * Phase 0 (in-process): `analyze(model, text)` over the texts for BENCH_INPROC_SECONDS (5), on
 *   one thread, before the service starts and again after it stopped (the ratio uses the mean).
 * Phase 1 (throughput): BENCH_COMMENTS (200,000) comments are produced to a fresh prefixed topic
 *   first; then the built service starts (SENTIMENT_WORKERS = cores unless set) and drains them.
 *   comments/s = analysed events / (first → last analysed event on comments.analyzed, polled
 *   from the topic's high watermarks every 100 ms). CPU of the service process is reported.
 * Phase 2 (latency): BENCH_RATE (1,000)/s for BENCH_SECONDS (20) s against the caught-up service;
 *   latency = Kafka timestamp of the analysed event − submittedAt (set at produce time).
 * Texts: the 3,000 UCI sentences of the `sentiment` npm package's fixtures (English), plus the
 * 872 Portuguese SST-2 dev sentences when ../shared/eval-data is there (else a built-in set).
 * The service runs against a throw-away database and topic prefix, removed afterwards.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { AvroSerde } from '../src/platform/messaging/avro-serde.js';
import { createKafka, loadMessagingConfig } from '../src/platform/messaging/kafka.js';
import { allTopicSpecs, physicalTopic, TOPICS } from '../src/platform/messaging/topics.js';
import { type CommentSubmitted } from '../src/platform/schemas/generated.js';
import { analyze } from '../src/sentiment/domain/index.js';
import { readModelArtifact } from '../src/sentiment/model-artifact.js';
import { loadSentimentConfig, repoRoot } from '../src/sentiment/sentiment.config.js';
import { machine, percentile, runId, sleep, table } from './support.js';

const comments = Number(process.env.BENCH_COMMENTS ?? 200_000);
const rate = Number(process.env.BENCH_RATE ?? 1000);
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const inprocSeconds = Number(process.env.BENCH_INPROC_SECONDS ?? 5);
const root = repoRoot();
const id = runId();
const prefix = `bench-nlp-${id}.`;
const port = Number(process.env.BENCH_PORT ?? 3904);
const progress = (m: string): void => void process.stderr.write(`  … ${m}\n`);

/** Runs the built service (as production does) and waits until /health/ready answers 200. */
async function startService(env: Record<string, string>): Promise<{
  child: ChildProcess;
  url: string;
  stop(): Promise<number | null>;
}> {
  // BENCH_NODE_ARGS: extra node flags for the service, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p".
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);
  const entry = path.join(root, 'dist/src/sentiment/main.js');
  const child = spawn(process.execPath, [...nodeArgs, entry], {
    cwd: root,
    env: { ...process.env, HTTP_PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited early (${child.exitCode})`);
    const res = await fetch(`${url}/health/ready`).catch(() => undefined);
    if (res?.status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('service not ready after 120 s');
    }
    await sleep(200);
  }
  return {
    child,
    url,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

const PT_FALLBACK = [
  'Adorei o produto, chegou rápido e funciona muito bem!',
  'Péssimo atendimento, ninguém resolve nada.',
  'Não gostei, a qualidade é horrível.',
  'Ótimo custo-benefício, recomendo.',
  'O aplicativo trava toda hora, que decepção.',
  'Entrega no prazo, tudo certo.',
  'Muito bom, superou as expectativas!',
  'Não funciona, quero meu dinheiro de volta.',
];

function texts(): { texts: string[]; describe: string } {
  const out: string[] = [];
  for (const f of ['amazon', 'imdb', 'yelp']) {
    const file = path.join(root, 'node_modules/sentiment/test/fixtures', `${f}.json`);
    for (const r of JSON.parse(readFileSync(file, 'utf8')) as Array<{ text: string }>)
      out.push(r.text);
  }
  const en = out.length;
  const ptFile = path.resolve(root, '../shared/eval-data/sst2/sst2_dev_pt.tsv');
  let pt: string[] = PT_FALLBACK;
  if (existsSync(ptFile)) {
    pt = readFileSync(ptFile, 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t')[0] ?? '')
      .filter((t) => t.length > 0);
  }
  out.push(...pt);
  const mean = Math.round(out.reduce((n, t) => n + t.length, 0) / out.length);
  return {
    texts: out,
    describe: `${en} English (UCI) + ${pt.length} Portuguese (${existsSync(ptFile) ? 'SST-2 dev pt' : 'built-in'}) texts, mean ${mean} chars`,
  };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds when the compiled service is missing or older than its sources. */
function ensureBuild(): void {
  const entry = path.join(root, 'dist/src/sentiment/main.js');
  const stale =
    !existsSync(entry) ||
    statSync(entry).mtimeMs < newestMtime(path.join(root, 'src/sentiment')) ||
    statSync(entry).mtimeMs < newestMtime(path.join(root, 'src/platform'));
  if (stale) {
    progress('building (dist is missing or older than src)');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  }
}

/** Comments per CPU-second of the in-process loop (load-independent, unlike comments/s). */
const inprocPerCpu: number[] = [];

function inProcessRate(items: readonly string[]): number {
  const { model } = readModelArtifact(loadSentimentConfig(process.env, root).modelPath);
  for (let i = 0; i < 2000; i++) analyze(model, items[i % items.length] ?? '');
  let n = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  const budget = inprocSeconds * 1000;
  while (performance.now() - started < budget) {
    for (let i = 0; i < 500; i++) analyze(model, items[(n + i) % items.length] ?? '');
    n += 500;
  }
  const used = process.cpuUsage(cpu);
  inprocPerCpu.push(n / ((used.user + used.system) / 1e6));
  return n / ((performance.now() - started) / 1000);
}

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds per thread name of a process (Linux /proc/<pid>/task/<tid>). */
function threadCpu(pid: number | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (pid === undefined) return out;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const key = `${name}#${tid}`;
      out.set(key, (Number(f[11]) + Number(f[12])) / 100);
    }
  } catch {
    // not Linux, or the process is gone
  }
  return out;
}

/** CPU seconds per process of the stack's Kafka broker and PostgreSQL (Linux; empty elsewhere). */
function stackCpuSeconds(): Map<string, number> {
  const out = new Map<string, number>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      const isStack =
        comm === 'postgres' ||
        (comm === 'java' && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('kafka.Kafka'));
      if (!isStack) continue;
      out.set(pid, cpuSeconds(Number(pid)));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** CPU used between two samples by the processes alive at the second (exited ones are lost). */
function cpuDelta(before: Map<string, number>, after: Map<string, number>): number {
  let total = 0;
  for (const [pid, v] of after) total += Math.max(0, v - (before.get(pid) ?? 0));
  return total;
}

/** Busy CPU seconds of the whole machine (all processes), from /proc/stat (Linux). */
function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - (v[3] ?? 0) - (v[4] ?? 0)) / 100;
  } catch {
    return Number.NaN;
  }
}

const { texts: sample, describe } = texts();
const workers = process.env.SENTIMENT_WORKERS ?? String(os.availableParallelism());
console.log(`bench:nlp — ${machine()}`);
console.log(
  `${describe}; ${comments.toLocaleString('en-US')} comments, SENTIMENT_WORKERS=${workers}; latency phase ${rate}/s for ${seconds}s\n`,
);

ensureBuild();
progress('in-process analyze() rate (before)');
const inprocBefore = inProcessRate(sample);

const config = loadMessagingConfig(process.env, `bench-nlp-${id}`);
const kafka = createKafka(config);
const serde = AvroSerde.fromConfig(config);
const producer = kafka.producer({
  allowAutoTopicCreation: false,
  retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 5000 },
});
await producer.connect();
const admin = kafka.admin();
await admin.connect();
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/streamline';
const dbName = `bench_nlp_${id.replace(/-/g, '_')}`;
const dbAdmin = new pg.Client({ connectionString: adminUrl });
await dbAdmin.connect();
await dbAdmin.query(`CREATE DATABASE "${dbName}"`);
const dbUrl = new URL(adminUrl);
dbUrl.pathname = `/${dbName}`;

let running: ChildProcess | undefined;
try {
  const input = physicalTopic(TOPICS.commentsSubmitted.name, prefix);
  const output = physicalTopic(TOPICS.commentsAnalyzed.name, prefix);
  const specs = allTopicSpecs(prefix).filter(
    (s) => s.name.startsWith(`${input}`) || s.name === output,
  );
  await admin.createTopics({
    waitForLeaders: true,
    topics: specs.map((s) => ({
      topic: s.name,
      numPartitions: s.partitions,
      replicationFactor: 1,
    })),
  });
  await serde.registerValueSchema(input, 'comment-submitted');
  await admin.fetchTopicMetadata({ topics: [input, output] });

  async function analysedCount(): Promise<number> {
    const offsets = await admin.fetchTopicOffsets(output);
    return offsets.reduce((n, o) => n + Number(o.high), 0);
  }

  function commentAt(i: number, submittedAt: number): CommentSubmitted {
    return {
      eventId: randomUUID(),
      commentId: `c-${id}-${i}`,
      source: `source-${i % 12}`,
      author: null,
      text: sample[i % sample.length] ?? '',
      languageHint: null,
      submittedAt,
      metadata: {},
    };
  }

  progress(`producing ${comments.toLocaleString('en-US')} comments`);
  {
    const batch = 2000;
    const inflight: Array<Promise<unknown>> = [];
    for (let i = 0; i < comments; i += batch) {
      const now = Date.now();
      const messages = [];
      for (let j = i; j < Math.min(comments, i + batch); j++) {
        const c = commentAt(j, now);
        messages.push({ key: c.commentId, value: serde.encode(input, c) });
      }
      inflight.push(producer.send({ topic: input, acks: -1, messages }));
      if (inflight.length >= 4) await inflight.shift();
    }
    await Promise.all(inflight);
  }

  progress('starting the built service and draining');
  const svc = await startService({
    DATABASE_URL: dbUrl.toString(),
    KAFKA_TOPIC_PREFIX: prefix,
    SENTIMENT_WORKERS: workers,
    SENTIMENT_CONSUMER_GROUP: `bench-nlp-${id}`,
  });
  running = svc.child;
  let t0 = 0;
  let n0 = 0;
  let t1 = 0;
  let cpu0 = 0;
  let cpu1 = 0;
  let machine0 = 0;
  let machine1 = 0;
  let stack0 = new Map<string, number>();
  let stack1 = new Map<string, number>();
  let threads0 = new Map<string, number>();
  let threads1 = new Map<string, number>();
  const drainDeadline = Date.now() + 30 * 60_000;
  for (;;) {
    const n = await analysedCount();
    const now = performance.now();
    if (t0 === 0 && n > 0) {
      t0 = now;
      n0 = n;
      cpu0 = cpuSeconds(svc.child.pid);
      machine0 = machineBusySeconds();
      stack0 = stackCpuSeconds();
      threads0 = threadCpu(svc.child.pid);
    }
    if (n >= comments) {
      t1 = now;
      cpu1 = cpuSeconds(svc.child.pid);
      machine1 = machineBusySeconds();
      stack1 = stackCpuSeconds();
      threads1 = threadCpu(svc.child.pid);
      break;
    }
    if (Date.now() > drainDeadline) throw new Error(`drain stuck at ${n}/${comments}`);
    await sleep(100);
  }
  const e2eRate = (comments - n0) / ((t1 - t0) / 1000);
  const cores = (cpu1 - cpu0) / ((t1 - t0) / 1000);
  const machineCores = (machine1 - machine0) / ((t1 - t0) / 1000);
  const stackCores = cpuDelta(stack0, stack1) / ((t1 - t0) / 1000);
  const perThread = [...threads1]
    .map(([k, v]) => [k, v - (threads0.get(k) ?? 0)] as const)
    .filter(([, v]) => v > 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${((v * 1e6) / (comments - n0)).toFixed(0)} µs`)
    .join(', ');
  const metricsText = await (await fetch(`${svc.url}/metrics`)).text();
  const busy = [
    ...metricsText.matchAll(
      /streamline_sentiment_worker_busy_seconds_total\{worker="([^"]+)"[^}]*\} (\S+)/g,
    ),
  ]
    .map((m) => `${m[1]}: ${Number(m[2]).toFixed(1)} s`)
    .join(', ');

  progress(`latency at ${rate}/s for ${seconds}s`);
  const latencies: number[] = [];
  const latencyConsumer = kafka.consumer({ groupId: `bench-nlp-lat-${id}`, maxWaitTimeInMs: 10 });
  await latencyConsumer.connect();
  await latencyConsumer.subscribe({ topic: output, fromBeginning: false });
  const latencyStartOffsets = await admin.fetchTopicOffsets(output);
  const latencyBase = latencyStartOffsets.reduce((n, o) => n + Number(o.high), 0);
  await latencyConsumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const value = await serde.decode<{ submittedAt: number; commentId: string }>(
          m.value,
          'comment-analyzed',
        );
        if (value.commentId.startsWith(`l-${id}-`)) {
          latencies.push(Number(m.timestamp) - value.submittedAt);
        }
      }
    },
  });
  await sleep(2000); // let the group join before the clock starts
  const total = rate * seconds;
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate));
    if (due > sent) {
      const now = Date.now();
      const messages = [];
      for (let i = sent; i < due; i++) {
        const c = { ...commentAt(i, now), commentId: `l-${id}-${i}` };
        messages.push({ key: c.commentId, value: serde.encode(input, c) });
      }
      await producer.send({ topic: input, acks: -1, messages });
      sent = due;
    } else {
      await sleep(5);
    }
  }
  const latencyDeadline = Date.now() + 60_000;
  while (latencies.length < total && Date.now() < latencyDeadline) await sleep(50);
  await latencyConsumer.disconnect();
  latencies.sort((a, b) => a - b);
  const afterLatency = (await analysedCount()) - latencyBase;

  const stopped = await svc.stop();
  // Measured again after the service stopped: the machine's load drifts, so the ratio uses both.
  progress('in-process analyze() rate (after)');
  const inprocAfter = inProcessRate(sample);
  const inproc = (inprocBefore + inprocAfter) / 2;

  console.log(
    table(
      ['measure', 'value'],
      [
        [
          'in-process analyze(), 1 thread (comments/s): before / after the service',
          `${Math.round(inprocBefore).toLocaleString('en-US')} / ${Math.round(inprocAfter).toLocaleString('en-US')}`,
        ],
        [`end to end, service process, ${workers} workers (comments/s)`, e2eRate],
        [
          'end to end / in-process (mean of before and after)',
          `${((e2eRate / inproc) * 100).toFixed(0)}%`,
        ],
        ['service process CPU during drain (cores)', cores.toFixed(2)],
        [
          'comments per CPU-second: in-process loop / service process (excl. Kafka, PostgreSQL)',
          `${Math.round(inprocPerCpu.reduce((a, b) => a + b, 0) / inprocPerCpu.length).toLocaleString('en-US')} / ${Math.round(e2eRate / cores).toLocaleString('en-US')}`,
        ],
        [
          `whole machine CPU during drain (of ${os.cpus().length} cores)`,
          `${machineCores.toFixed(2)} (service ${cores.toFixed(2)}, Kafka + PostgreSQL ${stackCores.toFixed(2)}, unrelated ${(machineCores - cores - stackCores).toFixed(2)})`,
        ],
        [`p50 latency @ ${rate}/s (ms)`, percentile(latencies, 50)],
        [`p99 latency @ ${rate}/s (ms)`, percentile(latencies, 99)],
        [`max latency @ ${rate}/s (ms)`, latencies[latencies.length - 1] ?? Number.NaN],
      ],
    ),
  );
  console.log(
    `\ntargets: end to end ≥ 5,000/s (${e2eRate >= 5000 ? 'met' : 'NOT met'}), ≥ 80% of in-process (${e2eRate >= 0.8 * inproc ? 'met' : 'NOT met'}), p99 < 500 ms at ${rate}/s (${(percentile(latencies, 99) ?? Infinity) < 500 ? 'met' : 'NOT met'})`,
  );
  console.log(`service CPU per comment by thread during the drain: ${perThread}`);
  console.log(
    `worker busy time over the run: ${busy}; latency samples ${latencies.length}/${total} (analysed ${afterLatency}); service exit code ${stopped}`,
  );
} finally {
  // Leave nothing behind, also when a phase failed: service, topics, database.
  if (running && running.exitCode === null) running.kill('SIGKILL');
  await admin
    .deleteTopics({ topics: allTopicSpecs(prefix).map((t) => t.name) })
    .catch(() => undefined);
  await admin.disconnect();
  await producer.disconnect();
  await dbAdmin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await dbAdmin.end();
}
