import { parentPort, workerData } from 'node:worker_threads';
import { AvroSerde } from '../../platform/messaging/avro-serde.js';
import { errorMessage, isRetriable } from '../../platform/messaging/errors.js';
import { type CompiledRuleSet, compileRuleSpecs } from '../domain/index.js';
import {
  decodeAndMatch,
  type FromMatchWorker,
  type MatchWorkerData,
  type ToMatchWorker,
} from './line-matcher.js';

/**
 * The line matcher's worker thread (see WorkerLineMatcher): decodes chunks of logs.lines values
 * with its own registry client and matches them against the rule set revision each chunk names.
 */
const data = workerData as MatchWorkerData;
const port = parentPort!;
const serde = AvroSerde.fromConfig(data.messaging);
/** Recent rule sets by revision: a chunk sent before a swap is still matched with its own. */
const ruleSets = new Map<string, CompiledRuleSet>();
const KEEP_RULE_SETS = 4;

port.on('message', (message: ToMatchWorker) => {
  if (message.type === 'rules') {
    const compiled = compileRuleSpecs(message.specs);
    ruleSets.delete(message.revision);
    ruleSets.set(message.revision, compiled);
    while (ruleSets.size > KEEP_RULE_SETS) ruleSets.delete(ruleSets.keys().next().value!);
    return;
  }
  void onChunk(message);
});

async function onChunk(message: Extract<ToMatchWorker, { type: 'chunk' }>): Promise<void> {
  const { id } = message;
  let reply: FromMatchWorker;
  try {
    const rules = ruleSets.get(message.revision);
    if (!rules || rules.revision !== message.revision)
      throw new Error(`rule set ${message.revision} was not sent to the line matcher`);
    const { bytes, starts, ends } = message;
    const result = await decodeAndMatch(serde, { bytes, starts, ends }, rules, data.maxLineLength);
    reply = { id, ok: true, result };
    port.postMessage(reply, [result.prematched.timestamps.buffer as ArrayBuffer]);
    return;
  } catch (err) {
    reply = { id, ok: false, retriable: isRetriable(err), error: errorMessage(err) };
  }
  port.postMessage(reply);
}

const ready: FromMatchWorker = { id: 0, ready: true };
port.postMessage(ready);
