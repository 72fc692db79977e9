#!/usr/bin/env node
// Kafka readiness probe for infra/stack.sh (plain ESM, no build step).
//
//   node infra/wait-kafka.mjs [--brokers 127.0.0.1:9092] [--timeout 90] [--pid <broker pid>]
//
// Loops admin.describeCluster() until the broker answers with at least one broker and a
// controller, or until the deadline. An open port is not enough: a KRaft node accepts
// connections before its metadata is loaded. With --pid, gives up early when that process
// has exited. Exit codes: 0 ready, 1 deadline passed, 2 bad usage, 3 broker process exited.
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;

function parseArgs(argv) {
  const opts = {
    brokers: process.env.KAFKA_BROKERS || '127.0.0.1:9092',
    timeout: 90,
    pid: undefined,
  };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--brokers' && value) {
      opts.brokers = value;
      i += 1;
    } else if (arg === '--timeout' && value) {
      opts.timeout = Number(value);
      i += 1;
    } else if (arg === '--pid' && value) {
      opts.pid = Number(value);
      i += 1;
    } else {
      console.error(`wait-kafka: unknown or incomplete argument: ${arg}`);
      process.exit(2);
    }
  }
  if (!Number.isFinite(opts.timeout) || opts.timeout <= 0) {
    console.error('wait-kafka: --timeout must be a positive number of seconds');
    process.exit(2);
  }
  return opts;
}

function alive(pid) {
  if (pid === undefined) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const brokers = opts.brokers
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const deadline = Date.now() + opts.timeout * 1000;
  let lastError = 'no attempt made';
  let attempts = 0;

  while (Date.now() < deadline) {
    if (!alive(opts.pid)) {
      console.error(`wait-kafka: broker process ${opts.pid} exited`);
      return 3;
    }
    attempts += 1;
    const remaining = Math.max(1000, deadline - Date.now());
    const kafka = new Kafka({
      clientId: 'streamline-stack-wait',
      brokers,
      logLevel: logLevel.NOTHING,
      connectionTimeout: Math.min(3000, remaining),
      requestTimeout: Math.min(5000, remaining),
      retry: { retries: 0 },
    });
    const admin = kafka.admin();
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      if (cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller >= 0) {
        console.log(
          `wait-kafka: ready after ${attempts} attempt(s): cluster ${cluster.clusterId}, ` +
            `brokers ${cluster.brokers.map((b) => `${b.host}:${b.port}`).join(',')}, controller ${cluster.controller}`,
        );
        return 0;
      }
      lastError = `cluster not ready yet (brokers=${cluster.brokers.length}, controller=${cluster.controller})`;
    } catch (err) {
      lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    } finally {
      await admin.disconnect().catch(() => {});
    }
    await sleep(Math.min(500, Math.max(0, deadline - Date.now())));
  }
  console.error(
    `wait-kafka: Kafka at ${brokers.join(',')} not ready within ${opts.timeout}s ` +
      `(${attempts} attempt(s)); last error: ${lastError}`,
  );
  return 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(
      `wait-kafka: unexpected failure: ${err instanceof Error ? err.stack : String(err)}`,
    );
    process.exit(1);
  },
);
