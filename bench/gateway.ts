/**
 * `npm run bench:gateway` — HTTP load on the ingest gateway from a SECOND process on loopback
 * (autocannon), beside same-run baselines of the bare framework answering 202 without
 * publishing:
 *   - fastify: a bare Fastify route (JSON body parsed, 202 with an id);
 *   - nest:    a bare NestJS-on-Fastify route, same answer;
 *   - gateway: the real gateway (platform AuthGuard with an API key, rate limit, monthly quota
 *              accounting, strict UTF-8/JSON, Avro validation, Avro encode, Kafka produce with
 *              acks=all, 202 only after the broker acknowledged).
 * Each server runs in its own child process (this file with `serve <mode> <port>`), the load in
 * another (`load <json-options>`), so the orchestrator measures nothing itself. Every request
 * carries a new transfer (fresh transferId → spread over the 6 partitions).
 *
 * Phases per server: max throughput (closed loop, BENCH_CONNECTIONS connections) and a fixed
 * BENCH_RATE req/s over BENCH_RATE_CONNECTIONS connections (latency corrected for coordinated
 * omission). Env: BENCH_SECONDS (default 15), BENCH_CONNECTIONS (default 100), BENCH_RATE
 * (default 5000), BENCH_RATE_CONNECTIONS (default 250), BENCH_ONLY=fastify,nest,gateway,
 * BENCH_PROFILE_DIR (CPU profiles of the servers), BENCH_WRITE=0 (do not update
 * docs/benchmarks.md).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createApiKey } from '../src/platform/auth/api-keys.js';
import { createKafka, loadMessagingConfig } from '../src/platform/messaging/kafka.js';
import { physicalTopic, TOPICS } from '../src/platform/messaging/topics.js';
import { machine, runId, sleep, table } from './support.js';

const self = import.meta.filename;
const [role, ...args] = process.argv.slice(2);

function transferBody(): string {
  return JSON.stringify({
    transferId: randomUUID(),
    debitAccountId: 'acc-0001',
    creditAccountId: 'acc-0002',
    amountMinor: 1250,
    currency: 'USD',
    sourceSystem: 'bench',
    description: 'load test',
    metadata: { channel: 'api' },
  });
}

// ---------------------------------------------------------------- server children
async function serve(mode: string, port: number): Promise<void> {
  if (mode === 'fastify') {
    const { default: Fastify } = await import('fastify');
    const app = Fastify({ logger: false });
    app.post('/v1/transfers', async (_req, reply) => {
      await reply.code(202).send({ eventId: randomUUID() });
    });
    await app.listen({ port, host: '127.0.0.1' });
  } else if (mode === 'nest') {
    await import('reflect-metadata');
    const { Controller, HttpCode, Module, Post, Body } = await import('@nestjs/common');
    const { NestFactory } = await import('@nestjs/core');
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    @Controller('v1')
    class BareController {
      @Post('transfers')
      @HttpCode(202)
      create(@Body() _body: unknown): { eventId: string } {
        return { eventId: randomUUID() };
      }
    }
    @Module({ controllers: [BareController] })
    class BareModule {}
    const app = await NestFactory.create(BareModule, new FastifyAdapter({ logger: false }), {
      logger: false,
    });
    await app.listen(port, '127.0.0.1');
  } else {
    await import('reflect-metadata');
    const { Module } = await import('@nestjs/common');
    const { runService } = await import('../src/platform/service/run-service.js');
    const { loadServiceConfig } = await import('../src/platform/service/service-config.js');
    const { loadGatewayConfig } = await import('../src/gateway/gateway.config.js');
    const { GatewayModule } = await import('../src/gateway/gateway.module.js');
    const env = { ...process.env, HTTP_PORT: String(port) };
    const config = loadServiceConfig(env, 'gateway', port);
    const gateway = loadGatewayConfig(env);
    @Module({ imports: [GatewayModule.forRoot(config, gateway)] })
    class BenchGatewayModule {}
    await runService(BenchGatewayModule, {
      config,
      title: 'gateway',
      description: 'bench',
      bodyLimitBytes: gateway.maxBatchBytes,
    });
  }
  // The orchestrator asks for CPU time around each phase: µs of server CPU per request is the
  // figure that survives a noisy machine.
  process.on('message', (m) => {
    if (m === 'cpu?') process.send?.({ cpu: process.cpuUsage() });
  });
  process.send?.('ready');
}

async function cpuOf(server: ChildProcess): Promise<number> {
  const answer = nextMessage<{ cpu: NodeJS.CpuUsage }>(server, 'cpu');
  server.send('cpu?');
  const { cpu } = await answer;
  return cpu.user + cpu.system;
}

// ---------------------------------------------------------------- load child
interface LoadOptions {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly seconds: number;
  readonly connections: number;
  readonly rate?: number;
}

interface AutocannonResult {
  readonly duration: number;
  readonly requests: { readonly total: number; readonly average: number };
  readonly latency: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly max: number;
    readonly average: number;
  };
  readonly statusCodeStats: Record<string, { count: number }>;
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
}

type Autocannon = (
  opts: Record<string, unknown>,
  cb: (err: Error | null, result: AutocannonResult) => void,
) => unknown;

async function load(options: LoadOptions): Promise<void> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const result = await new Promise<AutocannonResult>((resolve, reject) => {
    autocannon(
      {
        url: `${options.url}/v1/transfers`,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers },
        connections: options.connections,
        duration: options.seconds,
        ...(options.rate ? { overallRate: options.rate } : {}),
        requests: [
          {
            setupRequest: (req: Record<string, unknown>) => ({ ...req, body: transferBody() }),
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
  process.send?.(result);
}

// ---------------------------------------------------------------- orchestrator
function child(argv: string[], env: Record<string, string> = {}): ChildProcess {
  const profile = argv[0] === 'serve' && process.env.BENCH_PROFILE_DIR;
  return fork(self, argv, {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    execArgv: ['--import', 'tsx', ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function nextMessage<T>(c: ChildProcess, what: string, timeoutMs = 120_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = (): void => {
      clearTimeout(timer);
      c.off('message', onMessage);
      c.off('exit', onExit);
    };
    const onMessage = (m: unknown): void => {
      done();
      resolve(m as T);
    };
    const onExit = (code: number | null): void => {
      done();
      reject(new Error(`${what}: child exited with ${code}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    c.on('message', onMessage);
    c.on('exit', onExit);
  });
}

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
  c.kill('SIGTERM');
  const timer = setTimeout(() => c.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

interface Row {
  readonly server: string;
  readonly phase: string;
  readonly rps: number;
  readonly accepted: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly errors: number;
  readonly cpuUsPerReq: number;
}

async function orchestrate(): Promise<void> {
  const seconds = Number(process.env.BENCH_SECONDS ?? 15);
  const connections = Number(process.env.BENCH_CONNECTIONS ?? 100);
  const rate = Number(process.env.BENCH_RATE ?? 5000);
  // autocannon paces each connection separately and never makes up a late request, so the
  // fixed-rate phase needs slack: many connections, each at a small share of the rate.
  const rateConnections = Number(process.env.BENCH_RATE_CONNECTIONS ?? 250);
  const id = runId();
  const loadBefore = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  const prefix = `bench-gw-${id}.`;
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/streamline';
  const dbName = `bench_gw_${id.replace(/-/g, '_')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const dbUrl = url.toString();
  const rows: Row[] = [];
  let published = 0;
  let accepted202 = 0;
  try {
    const pool = new pg.Pool({ connectionString: dbUrl, max: 1 });
    await pool.query((await import('../src/platform/auth/api-keys.js')).apiKeysDdl());
    const { key } = await createApiKey(pool, {
      name: 'bench',
      scopes: ['transfers:publish'],
      ratePerSecond: 1_000_000,
      monthlyQuota: 1_000_000_000,
    });
    await pool.end();

    const servers: Array<{
      name: string;
      env: Record<string, string>;
      headers: Record<string, string>;
    }> = [
      { name: 'fastify', env: {}, headers: {} },
      { name: 'nest', env: {}, headers: {} },
      {
        name: 'gateway',
        env: {
          DATABASE_URL: dbUrl,
          KAFKA_TOPIC_PREFIX: prefix,
          KAFKAJS_NO_PARTITIONER_WARNING: '1',
        },
        headers: { 'x-api-key': key },
      },
    ];
    let port = 43_100 + Math.floor(Math.random() * 500);
    const only = process.env.BENCH_ONLY?.split(',');
    for (const s of servers.filter((x) => !only || only.includes(x.name))) {
      port += 1;
      const server = child(['serve', s.name, String(port)], s.env);
      try {
        await nextMessage(server, `${s.name} start`);
        const base = `http://127.0.0.1:${port}`;
        // Warm-up (JIT, connections, producer metadata), not recorded.
        const warm = child([
          'load',
          JSON.stringify({ url: base, headers: s.headers, seconds: 3, connections }),
        ]);
        await nextMessage(warm, 'warm-up');
        await stop(warm);
        for (const phase of ['max', `${rate}/s`]) {
          const loader = child([
            'load',
            JSON.stringify({
              url: base,
              headers: s.headers,
              seconds,
              connections: phase === 'max' ? connections : rateConnections,
              ...(phase === 'max' ? {} : { rate }),
            }),
          ]);
          const cpuBefore = await cpuOf(server);
          const r = await nextMessage<AutocannonResult>(
            loader,
            `${s.name} ${phase}`,
            (seconds + 60) * 1000,
          );
          await stop(loader);
          const cpuUsed = (await cpuOf(server)) - cpuBefore;
          const ok = r.statusCodeStats['202']?.count ?? 0;
          if (s.name === 'gateway') accepted202 += ok;
          rows.push({
            server: s.name,
            phase,
            rps: r.requests.total / r.duration,
            accepted: ok / r.duration,
            p50: r.latency.p50,
            p90: r.latency.p90,
            p99: r.latency.p99,
            max: r.latency.max,
            errors: r.errors + r.timeouts + (r.requests.total - ok),
            cpuUsPerReq: cpuUsed / Math.max(1, r.requests.total),
          });
          console.log(JSON.stringify(rows[rows.length - 1]));
          await sleep(1000);
        }
      } finally {
        await stop(server);
      }
    }
    // Proof that the 202s are on the topic: high watermarks ≥ the 202s (warm-up included).
    const kafka = createKafka(loadMessagingConfig(process.env, `bench-${id}`));
    const kadmin = kafka.admin();
    await kadmin.connect();
    const offsets = await kadmin.fetchTopicOffsets(
      physicalTopic(TOPICS.transfersRequested.name, prefix),
    );
    published = offsets.reduce((sum, o) => sum + Number(o.high), 0);
    const created = (await kadmin.listTopics()).filter((t) => t.startsWith(prefix));
    await kadmin.deleteTopics({ topics: created }).catch(() => undefined);
    await kadmin.disconnect();
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }

  const gatewayMax = rows.find((r) => r.server === 'gateway' && r.phase === 'max');
  const gatewayRate = rows.find((r) => r.server === 'gateway' && r.phase !== 'max');
  const int = (n: number): string => Math.round(n).toLocaleString('en-US');
  const text = [
    `Command: \`npm run bench:gateway\` (env: \`BENCH_SECONDS\` ${seconds}, \`BENCH_CONNECTIONS\` ${connections},`,
    `\`BENCH_RATE\` ${rate}, \`BENCH_RATE_CONNECTIONS\` ${rateConnections}). Machine: ${machine()}.`,
    `Load average (1/5/15 min) when the run started: ${loadBefore} — the machine is shared.`,
    '',
    'autocannon runs in its own process on loopback, each server in another. Every request is a',
    'new single `TransferRequested` (≈250-byte JSON, fresh `transferId`). Phases: *max* = closed',
    `loop over ${connections} connections; *${rate}/s* = fixed offered rate over ${rateConnections} connections`,
    '(latency corrected for coordinated omission). Baselines answer 202 with an id and publish',
    'nothing: *fastify* = bare Fastify route, *nest* = bare NestJS-on-Fastify route. *gateway* =',
    'the real service: API-key auth guard, per-key token bucket, monthly quota accounting',
    '(batched flush), strict UTF-8 + JSON, Avro-schema validation, Avro encode, Kafka produce with',
    'acks=all (coalesced per topic), 202 after the broker acknowledged. "accepted/s" counts 202s;',
    '"server CPU" is the server process\'s user+system CPU time per request (robust to noise).',
    '',
    table(
      [
        'server',
        'phase',
        'req/s',
        'accepted/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'non-202',
        'server CPU µs/req',
      ],
      rows.map((r) => [
        r.server,
        r.phase,
        int(r.rps),
        int(r.accepted),
        int(r.p50),
        int(r.p90),
        int(r.p99),
        int(r.max),
        int(r.errors),
        int(r.cpuUsPerReq),
      ]),
    ),
    '',
    `Records on the topic after the run: ${int(published)} (≥ the ${int(accepted202)} measured 202s; the rest are warm-up).`,
    '',
    `Target (≥ 5,000 accepted req/s with p99 < 100 ms): ${
      gatewayMax && gatewayRate
        ? `max ${int(gatewayMax.accepted)}/s at p99 ${int(gatewayMax.p99)} ms; at ${rate}/s offered ${int(gatewayRate.accepted)}/s accepted, p99 ${int(gatewayRate.p99)} ms → ${
            gatewayRate.accepted >= rate * 0.98 && gatewayRate.p99 < 100 ? '**met**' : '**not met**'
          }`
        : 'no result'
    }.`,
  ].join('\n');
  console.log(`\n${text}\n`);
  if (process.env.BENCH_WRITE !== '0') writeSection(text);
}

/** Hand-written notes in the section, from this heading on, survive a re-run. */
const NOTES_HEADING = '### Runs and analysis';

function writeSection(body: string): void {
  const file = join(import.meta.dirname, '../docs/benchmarks.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf('\n## Gateway\n');
  const end = start === -1 ? -1 : current.indexOf('\n## ', start + 1);
  const old = start === -1 ? '' : current.slice(start + 1, end === -1 ? undefined : end + 1);
  const notesAt = old.indexOf(NOTES_HEADING);
  const notes = notesAt === -1 ? '' : `\n${old.slice(notesAt).trimEnd()}\n`;
  const section = `## Gateway\n\n${body}\n${notes}`;
  const next =
    start === -1
      ? `${current.trimEnd()}\n\n${section}`
      : `${current.slice(0, start + 1)}${section}${end === -1 ? '' : `\n${current.slice(end + 1)}`}`;
  writeFileSync(file, next);
  console.log(`updated ${file} (## Gateway)`);
}

if (role === 'serve') {
  const mode = args[0] ?? 'gateway';
  // The gateway drains on SIGTERM itself (runService); the baselines just exit.
  if (mode !== 'gateway') process.once('SIGTERM', () => process.exit(0));
  await serve(mode, Number(args[1] ?? 3000));
} else if (role === 'load') {
  await load(JSON.parse(args[0] ?? '{}') as LoadOptions);
} else {
  await orchestrate();
}
