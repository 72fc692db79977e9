/**
 * `npm run demo` — the one command that shows the whole system working:
 * local stack → build → every service as a process → a demo API key → the workload generator
 * (transfers with invalid and duplicate requests, real log samples with bursts, English and
 * Portuguese comments) → a live terminal summary of all three streams. Ctrl-C drains the
 * services (SIGTERM), stops the stack it started, and exits.
 *
 * Options: --rate <events/s per stream> (default 200), --duration <seconds, 0 = until Ctrl-C>
 * (default 0), --keep-stack (leave the stack running), --no-build.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { apiKeysDdl, createApiKey } from '../src/platform/auth/api-keys.js';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '200' },
    duration: { type: 'string', default: '0' },
    'keep-stack': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});
const rate = Number(values.rate);
const durationS = Number(values.duration);
const tty = process.stdout.isTTY === true;
const SERVICES = [
  { name: 'ledger', port: 3001 },
  { name: 'alerting', port: 3002 },
  { name: 'notifier', port: 3003 },
  { name: 'sentiment', port: 3004 },
  { name: 'gateway', port: 3000 },
] as const;
const WEBHOOK_PORT = 3099;
const WEBHOOK_SECRET = 'demo-webhook-secret-0123456789';

const log = (msg: string): void => console.log(`[demo] ${msg}`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function run(cmd: string, args: string[], what: string): void {
  log(`${what}…`);
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) throw new Error(`${what} failed (exit ${res.status})`);
}

function stackEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  const file = join(root, '.stack/env');
  if (!existsSync(file)) return env;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) env[m[1]] = m[2].replace(/^['"]|['"]$/g, '');
  }
  return env;
}

const children: Array<{ name: string; child: ChildProcess }> = [];
let stopping = false;
let stoppingAt = 0;
let webhook: Server | undefined;
const received = { notifications: 0, alerts: 0, badSignatures: 0 };

/**
 * Runtime flags per service, as in docker-compose.yml: the alerting service allocates a short-lived
 * object per log line, and a 64 MiB young generation cuts its garbage-collection time at high
 * line rates (docs/benchmarks.md, Alerting).
 */
const NODE_FLAGS: Readonly<Record<string, readonly string[]>> = {
  alerting: ['--max-semi-space-size=64'],
};

async function startService(
  name: string,
  port: number,
  env: Record<string, string>,
): Promise<boolean> {
  const entry = join(root, 'dist/src', name, 'main.js');
  if (!existsSync(entry)) {
    log(`${name}: not built (${entry} missing) — skipped`);
    return false;
  }
  mkdirSync(join(root, '.stack/logs'), { recursive: true });
  const out = createWriteStream(join(root, `.stack/logs/${name}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [...(NODE_FLAGS[name] ?? []), entry], {
    cwd: root,
    env: { ...process.env, ...env, HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  children.push({ name, child });
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      log(`${name}: exited during start-up (code ${child.exitCode}); see .stack/logs/${name}.log`);
      return false;
    }
    const res = await fetch(`http://127.0.0.1:${port}/health/ready`, {
      signal: AbortSignal.timeout(2000),
    }).catch(() => undefined);
    if (res?.status === 200) return true;
    await sleep(300);
  }
  log(`${name}: not ready after 90 s; see .stack/logs/${name}.log`);
  return false;
}

type Samples = Map<string, number>;
const EMPTY: Samples = new Map<string, number>();

async function scrape(port: number): Promise<Samples> {
  const out: Samples = new Map();
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
    signal: AbortSignal.timeout(2000),
  }).catch(() => undefined);
  if (!res?.ok) return out;
  for (const line of (await res.text()).split('\n')) {
    if (!line.startsWith('streamline_')) continue;
    const m = /^([a-z_:]+)(\{[^}]*\})?\s+([-+0-9.eE]+|NaN)$/.exec(line);
    if (m?.[1] && m[3]) out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

function sum(samples: Samples, name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const [key, value] of samples) {
    if (!key.startsWith(`${name}{`) && key !== name) continue;
    if (Object.entries(where).every(([k, v]) => key.includes(`${k}="${v}"`))) total += value;
  }
  return total;
}

function byLabel(samples: Samples, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of samples) {
    if (!key.startsWith(`${name}{`)) continue;
    const m = new RegExp(`${label}="([^"]*)"`).exec(key);
    if (m?.[1] !== undefined) out[m[1]] = (out[m[1]] ?? 0) + value;
  }
  return out;
}

function bar(fraction: number, width = 30): string {
  const n = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

async function summary(started: number, prev: Map<string, number>): Promise<string> {
  const [ledger, alerting, notifier, sentiment, gateway] = await Promise.all(
    SERVICES.map((s) => scrape(s.port)),
  );
  const elapsed = (Date.now() - started) / 1000;
  const rateOf = (key: string, value: number): string => {
    const before = prev.get(key) ?? value;
    prev.set(key, value);
    return `${Math.max(0, value - before).toFixed(0)}/s`;
  };
  const consumed = (s: Samples | undefined, topicPart: string): number =>
    [...(s ?? EMPTY).entries()]
      .filter(
        ([k]) =>
          k.startsWith('streamline_consumer_messages_total{') &&
          k.includes(topicPart) &&
          k.includes('outcome="processed"'),
      )
      .reduce((a, [, v]) => a + v, 0);
  const dlq = [ledger, alerting, notifier, sentiment].reduce(
    (a, s) => a + sum(s ?? EMPTY, 'streamline_dlq_messages_total'),
    0,
  );
  const transfers = byLabel(ledger ?? EMPTY, 'streamline_ledger_transfers_total', 'outcome');
  const alerts = byLabel(alerting ?? EMPTY, 'streamline_alerts_total', 'state');
  const notes = byLabel(notifier ?? EMPTY, 'streamline_notifications_total', 'outcome');
  const labels = byLabel(sentiment ?? EMPTY, 'streamline_sentiment_comments_total', 'label');
  const langs = byLabel(sentiment ?? EMPTY, 'streamline_sentiment_comments_total', 'language');
  const totalLabels = Object.values(labels).reduce((a, b) => a + b, 0) || 1;
  const progress =
    durationS > 0
      ? `${bar(elapsed / durationS)} ${Math.min(100, (elapsed / durationS) * 100).toFixed(0)}%`
      : `${elapsed.toFixed(0)} s (Ctrl-C to stop)`;
  const money = consumed(ledger, 'transactions.requested');
  const lines = consumed(alerting, 'logs.lines');
  const comments = consumed(sentiment, 'comments.submitted');
  const fmt = (o: Record<string, number>): string =>
    Object.entries(o)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ') || '—';
  return [
    `Streamline demo — ${progress}`,
    '',
    `money     requests ${money} (${rateOf('money', money)})  outcomes: ${fmt(transfers)}`,
    `logs      lines ${lines} (${rateOf('lines', lines)})  alerts: ${fmt(alerts)}  notifications: ${fmt(notes)}  webhook received ${received.notifications} (${received.alerts} alerts, bad signatures ${received.badSignatures})`,
    `comments  analysed ${comments} (${rateOf('comments', comments)})  mix: ${
      Object.entries(labels)
        .map(([k, v]) => `${k} ${((v / totalLabels) * 100).toFixed(0)}%`)
        .join(' · ') || '—'
    }  languages: ${fmt(langs)}`,
    `gateway   requests ${sum(gateway ?? EMPTY, 'streamline_gateway_http_requests_total')}   dead-lettered ${dlq}`,
    '',
    `API docs: ${SERVICES.map((s) => `${s.name} http://127.0.0.1:${s.port}/docs`).join('  ')}`,
    `metrics:  http://127.0.0.1:<port>/metrics   Prometheus: ${process.env.PROMETHEUS_URL ?? 'http://127.0.0.1:19090'}   Alertmanager: ${process.env.ALERTMANAGER_URL ?? 'http://127.0.0.1:19093'}`,
  ].join('\n');
}

function startWebhookReceiver(): Promise<void> {
  webhook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const sig = String(req.headers['x-streamline-signature'] ?? '');
      const m = /t=(\d+),v1=([0-9a-f]+)/.exec(sig);
      const expected = m
        ? createHmac('sha256', WEBHOOK_SECRET).update(`${m[1]}.${body}`).digest('hex')
        : '';
      if (!m || m[2] !== expected) received.badSignatures += 1;
      received.notifications += 1;
      try {
        received.alerts += ((JSON.parse(body) as { alerts?: unknown[] }).alerts ?? []).length;
      } catch {
        // counted as received; payload problems show in bad signatures / notifier logs
      }
      res.writeHead(200).end('ok');
    });
  });
  return new Promise((resolve) => webhook?.listen(WEBHOOK_PORT, '127.0.0.1', resolve));
}

async function shutdown(code: number): Promise<void> {
  if (stopping) {
    // Ctrl-C reaches this process twice at once (from the terminal and relayed by npm/tsx): only
    // a later one means "stop now, skip the drain".
    if (Date.now() - stoppingAt > 2000) process.exit(code);
    return;
  }
  stopping = true;
  stoppingAt = Date.now();
  log('stopping: draining services (SIGTERM)…');
  await Promise.all(
    children.map(
      ({ child }) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  webhook?.close();
  if (!values['keep-stack']) run('bash', ['infra/stack.sh', 'down'], 'stopping the local stack');
  log('stopped cleanly');
  process.exit(code);
}

process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

const t0 = Date.now();
run('bash', ['infra/stack.sh', 'up'], 'starting the local stack');
Object.assign(process.env, { ...stackEnv(), ...process.env });
if (!values['no-build']) run('npm', ['run', '--silent', 'build'], 'building');
run('npx', ['tsx', 'scripts/bootstrap.ts'], 'creating topics and registering schemas');

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
await pool.query(apiKeysDdl());
const demoKey = await createApiKey(pool, {
  name: `demo-${new Date().toISOString()}`,
  scopes: ['admin'],
});
await pool.end();
log(`demo API key (admin; revoke with npm run apikey -- revoke ${demoKey.id}): ${demoKey.key}`);

await startWebhookReceiver();
const serviceEnv: Record<string, string> = {
  WEBHOOK_ALLOWLIST: '127.0.0.1',
  WEBHOOK_ALLOW_HTTP: 'true',
  WEBHOOK_ALLOWED_PORTS: String(WEBHOOK_PORT),
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
};
const up: string[] = [];
for (const s of SERVICES) {
  log(`starting ${s.name} on :${s.port}`);
  if (await startService(s.name, s.port, serviceEnv)) up.push(s.name);
}
log(
  `services ready: ${up.join(', ') || 'none'} (${((Date.now() - t0) / 1000).toFixed(0)} s since start)`,
);

// A webhook subscription for every alert, so notifications reach this terminal.
if (up.includes('notifier')) {
  const res = await fetch('http://127.0.0.1:3003/subscriptions', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': demoKey.key },
    body: JSON.stringify({
      id: 'demo-terminal',
      name: 'demo terminal',
      receiver: {
        type: 'webhook',
        url: `http://127.0.0.1:${WEBHOOK_PORT}/hook`,
        secret: WEBHOOK_SECRET,
      },
      route: { groupWait: '2s', groupInterval: '10s', repeatInterval: '1h' },
    }),
  }).catch((err: unknown) => ({ status: 0, text: () => Promise.resolve(String(err)) }));
  if (res.status >= 300 || res.status === 0)
    log(`could not create the demo webhook subscription (${res.status}): ${await res.text()}`);
}

const workload = spawn(
  'npx',
  [
    'tsx',
    'scripts/workload.ts',
    '--rate',
    String(rate),
    '--duration',
    String(durationS),
    '--stream',
    'transfers,logs,comments',
  ],
  {
    cwd: root,
    env: { ...process.env, STREAMLINE_API_KEY: demoKey.key },
    stdio: ['ignore', 'pipe', 'pipe'],
  },
);
const workloadLog = createWriteStream(join(root, '.stack/logs/workload.log'), { flags: 'a' });
workload.stdout.pipe(workloadLog);
workload.stderr.pipe(workloadLog);
children.push({ name: 'workload', child: workload });
workload.once('exit', (code) => {
  log(`workload finished (exit ${code}); log: .stack/logs/workload.log`);
});

const started = Date.now();
const prev = new Map<string, number>();
let lastPrint = 0;
for (;;) {
  const text = await summary(started, prev);
  if (tty) {
    process.stdout.write(`\x1b[2J\x1b[H${text}\n`);
  } else if (Date.now() - lastPrint > 5000) {
    console.log(`${text}\n`);
    lastPrint = Date.now();
  }
  if (
    durationS > 0 &&
    workload.exitCode !== null &&
    Date.now() - started > durationS * 1000 + 5000
  ) {
    console.log(text);
    await shutdown(0);
  }
  await sleep(1000);
}
