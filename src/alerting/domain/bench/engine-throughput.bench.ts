/**
 * Micro-benchmark of the alerting engine alone (no Kafka, no database): lines/s through
 * AlertEngine.process with 50 active rules on the 15 loghub samples (30,000 real lines),
 * on one core. Not a test: run it by hand, it reads ../shared/eval-data (or EVAL_DATA_DIR).
 *
 *   npx tsx src/alerting/domain/bench/engine-throughput.bench.ts [passes]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LogLine } from '../../../platform/schemas/generated.js';
import { AlertEngine } from '../alert-engine.js';
import { LOGHUB_FILES, LOGHUB_SYSTEMS, parseLoghubText } from '../loghub.js';
import { prepareLine } from '../matching/prepared-line.js';
import { type RuleHit } from '../matching/combined-matcher.js';
import { benchRuleSet } from './bench-rules.js';

const root = join(import.meta.dirname, '../../../..');
const dataDir = process.env['EVAL_DATA_DIR']
  ? join(process.env['EVAL_DATA_DIR'], 'loghub')
  : join(root, '../shared/eval-data/loghub');
const passes = Number(process.argv[2] ?? 20);

const { compiled } = benchRuleSet(root);

const base: LogLine[] = LOGHUB_SYSTEMS.flatMap((s) =>
  parseLoghubText(s, readFileSync(join(dataDir, LOGHUB_FILES[s]), 'utf8')),
);
base.sort((a, b) => a.timestamp - b.timestamp);
const span = base[base.length - 1]!.timestamp - base[0]!.timestamp + 1;
const meanLength = base.reduce((n, l) => n + l.message.length, 0) / base.length;

function measure(label: string, run: (lines: LogLine[]) => number): void {
  // Fresh line objects per pass, shifted in time so every pass moves forward.
  const batches = Array.from({ length: passes }, (_, p) =>
    base.map((l) => ({ ...l, timestamp: l.timestamp + p * span })),
  );
  run(batches[0]!); // warm-up
  let lines = 0;
  let hits = 0;
  const t0 = process.hrtime.bigint();
  for (let p = 1; p < passes; p++) {
    hits += run(batches[p]!);
    lines += batches[p]!.length;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    `${label.padEnd(34)} ${Math.round(lines / secs)
      .toLocaleString('en-US')
      .padStart(10)} lines/s  (${lines} lines, ${hits} hits, ${secs.toFixed(2)} s)`,
  );
}

console.log(
  `node ${process.version}, 50 rules (${compiled.matcher.stats.literals} literals, ${compiled.matcher.stats.states} AC states, ${compiled.matcher.stats.unfiltered} unfiltered), ${base.length} loghub lines, mean message ${meanLength.toFixed(0)} chars`,
);
const matcher = compiled.matcher;
const out: RuleHit[] = [];
measure('combined matcher only', (lines) => {
  let n = 0;
  for (const l of lines) {
    out.length = 0;
    matcher.match(prepareLine(l), out);
    n += out.length;
  }
  return n;
});
measure('naive per-rule matching', (lines) => {
  let n = 0;
  for (const l of lines) {
    out.length = 0;
    matcher.matchNaive(prepareLine(l), out);
    n += out.length;
  }
  return n;
});
const engine = new AlertEngine(compiled, {
  evalIntervalMs: Number(process.env['EVAL_INTERVAL_MS'] ?? 1000),
});
measure('AlertEngine.process (batches of 500)', (lines) => {
  let events = 0;
  for (let i = 0; i < lines.length; i += 500)
    events += engine.process(lines.slice(i, i + 500)).events.length;
  return events;
});
console.log(`engine stats: ${JSON.stringify(engine.stats)}`);
