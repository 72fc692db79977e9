/**
 * Classifier worker thread (started by ClassifierPool from the compiled
 * `dist/src/sentiment/classifier.worker.js`). Builds the model once from the artifact text the
 * main thread read, then answers `{ id, items }` with `{ id, results, busyMs }`, one result per
 * item in order. A failure of one item is a result, not a crash.
 */
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { classifyComment, type ClassifyOptions } from './comment-classifier.js';
import { loadModel } from './domain/index.js';
import {
  type WorkerData,
  type WorkerReply,
  type WorkerTask,
  isWorkerTask,
} from './classifier-protocol.js';

const port = parentPort;
if (port === null) throw new Error('classifier.worker must run as a worker thread');
const data = workerData as WorkerData;

try {
  const model = loadModel(data.artifact);
  const options: ClassifyOptions = { maxChars: data.maxChars, entities: data.entities };
  port.on('message', (message: unknown) => {
    if (!isWorkerTask(message)) return;
    const task: WorkerTask = message;
    const started = performance.now();
    const results = task.items.map((item) => classifyComment(model, item, options));
    const reply: WorkerReply = {
      kind: 'result',
      id: task.id,
      results,
      busyMs: performance.now() - started,
    };
    port.postMessage(reply);
  });
  const ready: WorkerReply = { kind: 'ready', version: model.version };
  port.postMessage(ready);
} catch (err) {
  const fatal: WorkerReply = {
    kind: 'fatal',
    error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
  };
  port.postMessage(fatal);
}
