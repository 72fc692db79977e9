/**
 * `npm run workload -- --rate 500 --duration 60 --stream transfers,logs,comments`
 * Realistic load for the whole pipeline, published as Avro straight to Kafka (see
 * scripts/workload/ for the reusable module and `--help` for every option). Prints one progress
 * line per second and a summary at the end; Ctrl-C stops cleanly.
 */
import {
  formatProgress,
  formatSummary,
  parseWorkloadArgs,
  startWorkload,
  WORKLOAD_USAGE,
} from './workload/index.js';
import { type WorkloadSnapshot } from './workload/runner.js';

let cli;
try {
  cli = parseWorkloadArgs(process.argv.slice(2));
} catch (err) {
  console.error(`${(err as Error).message}\n\n${WORKLOAD_USAGE}`);
  process.exit(2);
}
if (cli.help) {
  console.log(WORKLOAD_USAGE);
  process.exit(0);
}

const workload = await startWorkload(cli.workload);
const o = workload.options;
console.log(
  `[workload] ${workload.runId}: ${o.rate}/s per stream for ${o.durationSeconds > 0 ? `${o.durationSeconds} s` : 'ever (Ctrl-C stops)'}: ${o.streams.map((s) => `${s} → ${workload.topics[s]}`).join(', ')}`,
);
let prev: WorkloadSnapshot | undefined;
const progress = setInterval(() => {
  const cur = workload.snapshot();
  console.log(`[workload] ${formatProgress(prev, cur)}`);
  prev = cur;
}, 1000);

let interrupted = false;
const onSignal = (): void => {
  if (interrupted) process.exit(130);
  interrupted = true;
  console.log('[workload] stopping (Ctrl-C again to abort)…');
  void workload.stop();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const final = await workload.done;
clearInterval(progress);
console.log(formatSummary(final));
if (cli.json) console.log(JSON.stringify(final, null, 2));
const failed = final.transfers.failed + final.logs.failed + final.comments.failed;
const sent = final.transfers.sent + final.logs.sent + final.comments.sent;
process.exit(sent === 0 || failed > sent / 2 ? 1 : 0);
