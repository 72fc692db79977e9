import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { requireTool, type TestCertificates } from './test-certificates.js';
import { execFailure, execFileAsync, freePort, tailOf } from './throwaway-servers.js';
import { waitFor } from './wait-for.js';

const repoRoot = join(import.meta.dirname, '../..');

export interface KafkaUser {
  readonly name: string;
  readonly password: string;
}

export interface ThrowawayKafka {
  /** `127.0.0.1:<port>` of the SASL_SSL listener. */
  readonly brokers: string;
  readonly logFile: string;
  /** Kills the broker's process group and waits for it to be gone. */
  stop(): Promise<void>;
}

/**
 * Where infra/stack.sh keeps the Kafka jars it fetched from Maven Central
 * (`$STACK_DIR/kafka/$KAFKA_VERSION/libs`, marked complete by `.installed`).
 */
function kafkaLibs(): string {
  const stackDir = process.env.STACK_DIR ?? join(repoRoot, '.stack');
  const version = process.env.KAFKA_VERSION ?? '3.9.1';
  const home = join(stackDir, 'kafka', version);
  if (!existsSync(join(home, '.installed'))) {
    throw new Error(
      `Kafka ${version} jars missing under ${home}: run \`npm run stack:up\` (infra/stack.sh downloads them)`,
    );
  }
  return join(home, 'libs');
}

/** A value for a Java properties file: backslashes and line breaks escaped. */
function prop(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\r?\n/g, '\\n');
}

/**
 * Starts a single-node Kafka (KRaft, combined broker + controller) on free loopback ports, with
 * ONE client listener, SASL_SSL: TLS with `certs`' server certificate (PEM key store given inline,
 * which Kafka 3.9 takes unencrypted), SASL PLAIN and SCRAM-SHA-256 for `users` (SCRAM
 * credentials are written at format time). The controller listener is plaintext on loopback.
 *
 * It uses the jars infra/stack.sh installed but nothing else of the shared stack: own ports,
 * data and logs under `dir`, small heap. Resolves when the broker logged that it started; fails
 * with the log's tail when the JVM exits or `startTimeoutMs` passes.
 */
export async function startThrowawayKafka({
  dir,
  certs,
  users,
  heap = ['-Xms64m', '-Xmx256m'],
  startTimeoutMs = 60_000,
}: {
  dir: string;
  certs: TestCertificates;
  users: readonly KafkaUser[];
  heap?: readonly string[];
  startTimeoutMs?: number;
}): Promise<ThrowawayKafka> {
  const libs = kafkaLibs();
  const java = process.env.KAFKA_JAVA ?? 'java';
  await requireTool(java);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const logFile = join(dir, 'kafka.log');
  const outFile = join(dir, 'kafka.out');
  // The broker's own client (inter-broker listener) logs in with PLAIN as this user.
  const broker: KafkaUser = { name: 'broker', password: randomBytes(12).toString('hex') };
  const plainUsers = [broker, ...users].map((u) => `user_${u.name}="${u.password}"`).join(' ');
  const config = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=SASL_SSL://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=SASL_SSL',
    'listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
    'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256',
    'sasl.mechanism.inter.broker.protocol=PLAIN',
    `listener.name.sasl_ssl.plain.sasl.jaas.config=${prop(
      `org.apache.kafka.common.security.plain.PlainLoginModule required username="${broker.name}" password="${broker.password}" ${plainUsers};`,
    )}`,
    'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
    'ssl.keystore.type=PEM',
    // Leaf first, then the CA: clients get the whole chain.
    `ssl.keystore.certificate.chain=${prop(certs.serverCertPem + certs.caPem)}`,
    `ssl.keystore.key=${prop(certs.serverKeyPem)}`,
    'ssl.truststore.type=PEM',
    `ssl.truststore.certificates=${prop(certs.caPem)}`,
    'ssl.client.auth=none',
    `log.dirs=${prop(join(dir, 'data'))}`,
    'auto.create.topics.enable=false',
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'num.network.threads=1',
    'num.io.threads=2',
    'background.threads=2',
    'log.cleaner.enable=false',
    '',
  ].join('\n');
  const configFile = join(dir, 'server.properties');
  writeFileSync(configFile, config, { mode: 0o600 });
  writeFileSync(
    join(dir, 'log4j.properties'),
    [
      'log4j.rootLogger=INFO, file',
      'log4j.appender.file=org.apache.log4j.FileAppender',
      `log4j.appender.file.File=${prop(logFile)}`,
      'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
      '',
    ].join('\n'),
  );
  const jvm = [
    ...heap,
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    // Names the process (ps, /proc) as this test's, should a crashed run leave it behind.
    `-Dstreamline.throwaway=${dir}`,
    `-Dlog4j.configuration=file:${join(dir, 'log4j.properties')}`,
    '-cp',
    join(libs, '*'),
  ];

  // Cluster id: 16 random bytes, base64url; one starting with '-' would read as an option.
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  const scram = users.flatMap((u) => [
    '--add-scram',
    `SCRAM-SHA-256=[name=${u.name},password=${u.password}]`,
  ]);
  try {
    await execFileAsync(
      java,
      [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', configFile, ...scram],
      { cwd: dir, timeout: 60_000 },
    );
  } catch (err) {
    throw new Error(`throw-away Kafka: formatting storage failed: ${execFailure(err)}`);
  }

  const out = openSync(outFile, 'a');
  // Own process group (detached), so stop() can kill the JVM and anything it started.
  const child = spawn(java, [...jvm, 'kafka.Kafka', configFile], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));

  const stop = async (): Promise<void> => {
    if (child.pid !== undefined && running()) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (child.pid === undefined) return;
    await waitFor('throw-away Kafka to exit', () => !running(), { timeoutMs: 15_000 });
    await exited;
  };

  try {
    const state = await waitFor(
      `throw-away Kafka (SASL_SSL on 127.0.0.1:${port}) to start`,
      () => {
        if (spawnError !== undefined || !running()) return 'exited';
        const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
        return log.includes('Kafka Server started') ? 'started' : undefined;
      },
      { timeoutMs: startTimeoutMs, intervalMs: 200 },
    );
    if (state === 'exited') {
      throw new Error(
        `throw-away Kafka exited during start-up (${spawnError?.message ?? child.exitCode ?? child.signalCode})`,
      );
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw new Error(`${(err as Error).message}\n${tailOf(outFile)}\n${tailOf(logFile)}`);
  }
  return { brokers: `127.0.0.1:${port}`, logFile, stop };
}
