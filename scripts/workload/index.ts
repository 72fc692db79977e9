/**
 * The workload generator as a library (the CLI is scripts/workload.ts):
 *
 *   const wl = await startWorkload({ rate: 200, durationSeconds: 0, streams: ['transfers', 'logs'] });
 *   setInterval(() => render(wl.snapshot()), 1000);
 *   await wl.stop();            // or: const final = await wl.done;  (when durationSeconds > 0)
 */
export {
  DEFAULT_WORKLOAD_OPTIONS,
  STREAMS,
  startWorkload,
  type StreamCounters,
  type StreamName,
  type Workload,
  type WorkloadContext,
  type WorkloadOptions,
  type WorkloadSnapshot,
} from './runner.js';
export { ensureAccounts, type AccountsMode, type AccountsResult } from './accounts.js';
export {
  CommentGenerator,
  PHRASES,
  COMMENT_SOURCES,
  type Language,
  type Sentiment,
} from './comments.js';
export { LogReplayer, isCritical } from './logs.js';
export { parseWorkloadArgs, WORKLOAD_USAGE, type CliOptions } from './options.js';
export { Rng } from './random.js';
export {
  DEFAULT_TRANSFER_MIX,
  TransferGenerator,
  WORKLOAD_CURRENCIES,
  planAccounts,
  type InvalidReason,
  type TransferIntent,
  type TransferMix,
  type WorkloadAccount,
} from './transfers.js';
export { formatProgress, formatSummary } from './progress.js';
