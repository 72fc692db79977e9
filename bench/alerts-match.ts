/**
 * bench:alerts-match — the alerting worker's stateless work on one thread, without Kafka:
 * `decodeAndMatch` over real loghub lines encoded as the service receives them (Confluent-framed
 * Avro, views of one buffer with record framing between them, 10,000-line chunks, the 50 rules
 * of bench:alerts), beside avsc decoding every value (the same run's baseline) and with the
 * skip of lines no rule can match turned off. Needs the schema registry (`npm run stack:up`)
 * and the loghub samples. Best of BENCH_ROUNDS rounds (default 20) after 3 warm-up rounds.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchRuleSet } from '../src/alerting/domain/bench/bench-rules.js';
import { decodeAndMatch, packValues } from '../src/alerting/engine/line-matcher.js';
import { AvroSerde } from '../src/platform/messaging/avro-serde.js';
import { loadMessagingConfig } from '../src/platform/messaging/kafka.js';
import { loghubSample, machine, runId, table } from './support.js';

const root = join(import.meta.dirname, '..');
const sample = loghubSample(root, 'bench:alerts-match');
const count = Number(process.env.BENCH_LINES ?? 100_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 20);
const chunkSize = 10_000;
const maxLineLength = 8192;

const serde = AvroSerde.fromConfig(loadMessagingConfig(process.env, 'bench-alerts-match'));
const subject = `bench-alerts-match-${runId()}`;
await serde.registerValueSchema(subject, 'log-line');
const encoded = Array.from({ length: count }, (_, i) =>
  serde.encode(subject, { ...sample[i % sample.length]!, eventId: randomUUID(), timestamp: i }),
);
// As kafkajs hands values over: views of one fetch response, a record's framing between them.
const framing = Buffer.alloc(12, 7);
const response = Buffer.concat(encoded.flatMap((v) => [framing, v]));
const values: Buffer[] = [];
let at = 0;
for (const v of encoded) {
  at += framing.length;
  values.push(response.subarray(at, at + v.length));
  at += v.length;
}
const { compiled } = benchRuleSet(root, []);

/** Best time per line over the rounds, in µs. */
async function best(run: (chunk: Buffer[]) => unknown): Promise<number> {
  let fastest = Infinity;
  for (let round = 0; round < rounds + 3; round++) {
    const started = performance.now();
    for (let i = 0; i < values.length; i += chunkSize) await run(values.slice(i, i + chunkSize));
    const perLine = ((performance.now() - started) * 1000) / values.length;
    if (round >= 3) fastest = Math.min(fastest, perLine);
  }
  return fastest;
}

let decoded = 0;
const results: Array<[string, number, string]> = [];
const avsc = await best((chunk) => {
  for (const v of chunk) serde.decodeSync(v, 'log-line');
});
results.push(['avsc decode of every value (baseline)', avsc, 'decodeSync, no matching']);
const skim = await best(async (chunk) => {
  const r = await decodeAndMatch(serde, packValues(chunk), compiled, maxLineLength);
  decoded += r.prematched.matched.length;
});
results.push(['decodeAndMatch (packing included)', skim, 'lines no rule can match not decoded']);
const full = await best((chunk) =>
  decodeAndMatch(serde, packValues(chunk), compiled, maxLineLength, { skim: false }),
);
results.push(['decodeAndMatch, every line decoded', full, 'the skip turned off']);
const pack = await best((chunk) => packValues(chunk));
results.push(['packValues alone', pack, 'values copied one after the other']);

console.log(`bench:alerts-match — ${machine()}`);
console.log(
  `${count.toLocaleString('en-US')} loghub lines (${sample.length} distinct), ${compiled.rules.length} rules, chunks of ${chunkSize.toLocaleString('en-US')}, best of ${rounds} rounds\n`,
);
console.log(
  table(
    ['work', 'µs per line', 'lines/s', 'notes'],
    results.map(([name, us, note]) => [name, us.toFixed(3), 1e6 / us, note]),
  ),
);
console.log(`\nlines matched per round: ${decoded / (rounds + 3)}`);
process.exit(0);
