import { parseArgs } from 'node:util';
import { type AccountsMode } from './accounts.js';
import {
  DEFAULT_WORKLOAD_OPTIONS,
  STREAMS,
  type StreamName,
  type WorkloadOptions,
} from './runner.js';
import { DEFAULT_TRANSFER_MIX } from './transfers.js';

export const WORKLOAD_USAGE = `Usage: npm run workload -- [options]

Publishes a realistic workload to Kafka (Avro, catalog topics, KAFKA_TOPIC_PREFIX honoured):
transfers among accounts (with invalid, duplicate and conflicting requests), log lines replayed
from the loghub samples with bursts of critical lines, and comments in English and Portuguese.

  --rate <n>              events per second for each stream            [${DEFAULT_WORKLOAD_OPTIONS.rate}]
  --duration <s>          seconds to run, 0 = until Ctrl-C              [${DEFAULT_WORKLOAD_OPTIONS.durationSeconds}]
  --stream <list>         transfers,logs,comments (any subset)          [all]
  --seed <n>              seed of the random choices                    [${DEFAULT_WORKLOAD_OPTIONS.seed}]
  --accounts <mode>       auto | http | db | skip: how to open accounts [${DEFAULT_WORKLOAD_OPTIONS.accounts}]
  --customers <n>         customer accounts per currency (USD/EUR/BRL)  [${DEFAULT_WORKLOAD_OPTIONS.customersPerCurrency}]
  --account-prefix <p>    account id prefix                             [${DEFAULT_WORKLOAD_OPTIONS.accountPrefix}]
  --ledger-url <url>      ledger HTTP API (accounts)                    [${DEFAULT_WORKLOAD_OPTIONS.ledgerUrl}]
  --gateway-url <url>     ingest gateway                                [${DEFAULT_WORKLOAD_OPTIONS.gatewayUrl}]
  --api-key <key>         API key (default: STREAMLINE_API_KEY)
  --via-gateway <share>   share of events sent through the gateway      [${DEFAULT_WORKLOAD_OPTIONS.viaGatewayShare}]
  --loghub <dir>          loghub samples folder (built-in generator when absent)
  --burst-every <s>       a burst of critical log lines every s seconds [${DEFAULT_WORKLOAD_OPTIONS.burstEverySeconds}]
  --burst-seconds <s>     burst length                                  [${DEFAULT_WORKLOAD_OPTIONS.burstSeconds}]
  --burst-factor <x>      extra critical lines/s during a burst = rate × x [${DEFAULT_WORKLOAD_OPTIONS.burstFactor}]
  --invalid-share <x>     invalid transfer requests                     [${DEFAULT_TRANSFER_MIX.invalidShare}]
  --duplicate-share <x>   repeated transfer requests (retries)          [${DEFAULT_TRANSFER_MIX.duplicateShare}]
  --conflict-share <x>    same transfer id, other body                  [${DEFAULT_TRANSFER_MIX.conflictShare}]
  --pending-share <x>     two-phase reservations (settled later)        [${DEFAULT_TRANSFER_MIX.pendingShare}]
  --pt-share <x>          Portuguese comments                           [${DEFAULT_WORKLOAD_OPTIONS.portugueseShare}]
  --poison-share <x>      transfer/log records sent as non-Avro bytes   [${DEFAULT_WORKLOAD_OPTIONS.poisonShare}]
  --topic-prefix <p>      physical topic prefix (default KAFKA_TOPIC_PREFIX)
  --json                  print the final counters as JSON
  -h, --help
Environment: KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL (accounts=db), STREAMLINE_API_KEY.`;

export interface CliOptions {
  readonly workload: Partial<WorkloadOptions>;
  readonly json: boolean;
  readonly help: boolean;
}

function num(
  name: string,
  raw: string | undefined,
  { min = 0, max = Infinity } = {},
): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new Error(`--${name} must be a number in [${min}, ${max}], got "${raw}"`);
  }
  return n;
}

/** Parses the CLI arguments; throws with the option's name on a bad value. */
export function parseWorkloadArgs(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      rate: { type: 'string' },
      duration: { type: 'string' },
      stream: { type: 'string' },
      seed: { type: 'string' },
      accounts: { type: 'string' },
      customers: { type: 'string' },
      'account-prefix': { type: 'string' },
      'ledger-url': { type: 'string' },
      'gateway-url': { type: 'string' },
      'api-key': { type: 'string' },
      'via-gateway': { type: 'string' },
      loghub: { type: 'string' },
      'burst-every': { type: 'string' },
      'burst-seconds': { type: 'string' },
      'burst-factor': { type: 'string' },
      'invalid-share': { type: 'string' },
      'duplicate-share': { type: 'string' },
      'conflict-share': { type: 'string' },
      'pending-share': { type: 'string' },
      'pt-share': { type: 'string' },
      'poison-share': { type: 'string' },
      'topic-prefix': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const w: { -readonly [K in keyof WorkloadOptions]?: WorkloadOptions[K] } = {};
  const set = <K extends keyof WorkloadOptions>(
    key: K,
    value: WorkloadOptions[K] | undefined,
  ): void => {
    if (value !== undefined) w[key] = value;
  };
  set('rate', num('rate', values.rate, { min: 0.001 }));
  set('durationSeconds', num('duration', values.duration));
  if (values.stream !== undefined) {
    const streams = values.stream
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const s of streams) {
      if (!(STREAMS as readonly string[]).includes(s)) {
        throw new Error(`--stream: unknown stream "${s}" (use ${STREAMS.join(', ')})`);
      }
    }
    if (streams.length === 0) throw new Error('--stream: no stream given');
    set('streams', [...new Set(streams)] as StreamName[]);
  }
  set('seed', num('seed', values.seed, { max: 2 ** 32 - 1 }));
  if (values.accounts !== undefined) {
    if (!['auto', 'http', 'db', 'skip'].includes(values.accounts)) {
      throw new Error(`--accounts must be auto, http, db or skip, got "${values.accounts}"`);
    }
    set('accounts', values.accounts as AccountsMode);
  }
  set('customersPerCurrency', num('customers', values.customers, { min: 2, max: 5000 }));
  set('accountPrefix', values['account-prefix']);
  set('ledgerUrl', values['ledger-url']?.replace(/\/$/, ''));
  set('gatewayUrl', values['gateway-url']?.replace(/\/$/, ''));
  set('apiKey', values['api-key']);
  set('viaGatewayShare', num('via-gateway', values['via-gateway'], { max: 1 }));
  set('loghubDir', values.loghub);
  set('burstEverySeconds', num('burst-every', values['burst-every']));
  set('burstSeconds', num('burst-seconds', values['burst-seconds']));
  set('burstFactor', num('burst-factor', values['burst-factor']));
  set('portugueseShare', num('pt-share', values['pt-share'], { max: 1 }));
  set('poisonShare', num('poison-share', values['poison-share'], { max: 1 }));
  set('topicPrefix', values['topic-prefix']);
  const mix = {
    invalidShare: num('invalid-share', values['invalid-share'], { max: 1 }),
    duplicateShare: num('duplicate-share', values['duplicate-share'], { max: 1 }),
    conflictShare: num('conflict-share', values['conflict-share'], { max: 1 }),
    pendingShare: num('pending-share', values['pending-share'], { max: 1 }),
  };
  if (Object.values(mix).some((v) => v !== undefined)) {
    const merged = {
      invalidShare: mix.invalidShare ?? DEFAULT_TRANSFER_MIX.invalidShare,
      duplicateShare: mix.duplicateShare ?? DEFAULT_TRANSFER_MIX.duplicateShare,
      conflictShare: mix.conflictShare ?? DEFAULT_TRANSFER_MIX.conflictShare,
      pendingShare: mix.pendingShare ?? DEFAULT_TRANSFER_MIX.pendingShare,
    };
    if (merged.invalidShare + merged.duplicateShare + merged.conflictShare > 1) {
      throw new Error('--invalid-share + --duplicate-share + --conflict-share must not exceed 1');
    }
    set('transferMix', merged);
  }
  return { workload: w, json: values.json ?? false, help: values.help ?? false };
}
