import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Kafka } from 'kafkajs';
import { LOGHUB_FILES, LOGHUB_SYSTEMS, parseLoghubText } from '../src/alerting/domain/loghub.js';
import { type LogLine } from '../src/platform/schemas/generated.js';

/** Small helpers every benchmark shares: percentiles, tables, machine facts. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx] as number;
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)));
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...cells.map((r) => String(r[i] ?? '').length)),
  );
  const line = (r: string[]): string =>
    `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [
    line(headers),
    `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
    ...cells.map((r) => line(r.map(String))),
  ].join('\n');
}

function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  return n.toFixed(1);
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}, ${new Date().toISOString()}`;
}

export function runId(): string {
  return `${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The raw kafkajs baseline every consume benchmark stands beside: `eachBatch` that only counts
 * and commits (no decoding), 3 partitions at a time, until `expected` records were seen;
 * records/s between the first batch and the last.
 */
export async function rawKafkaDrain(
  kafka: Kafka,
  groupId: string,
  topic: string,
  expected: number,
): Promise<number> {
  const consumer = kafka.consumer({
    groupId,
    maxWaitTimeInMs: 100,
    maxBytesPerPartition: 1_048_576,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let first = 0;
  let last = 0;
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch, resolveOffset }) => {
      if (first === 0) first = performance.now();
      const lastMsg = batch.messages[batch.messages.length - 1];
      if (!lastMsg) return;
      seen += batch.messages.length;
      await consumer.commitOffsets([
        { topic, partition: batch.partition, offset: (BigInt(lastMsg.offset) + 1n).toString() },
      ]);
      resolveOffset(lastMsg.offset);
      last = performance.now();
    },
  });
  while (seen < expected) await sleep(20);
  await consumer.disconnect();
  return expected / ((last - first) / 1000);
}

/**
 * The loghub samples, parsed, every system in turn: from `$EVAL_DATA_DIR/loghub`, else
 * `../shared/eval-data/loghub` beside the checkout (`root`). Exits the bench (code 2) with a
 * message naming `bench` when they are not there.
 */
export function loghubSample(root: string, bench: string): LogLine[] {
  const dir = process.env.EVAL_DATA_DIR
    ? join(process.env.EVAL_DATA_DIR, 'loghub')
    : join(root, '../shared/eval-data/loghub');
  if (!existsSync(join(dir, 'OpenSSH_2k.log'))) {
    console.error(`${bench} needs the loghub samples in ${dir} (set EVAL_DATA_DIR)`);
    process.exit(2);
  }
  return LOGHUB_SYSTEMS.flatMap((s) =>
    parseLoghubText(s, readFileSync(join(dir, LOGHUB_FILES[s]), 'utf8')),
  );
}
