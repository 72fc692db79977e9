import { type ClassifyRequest, type ClassifyResult } from './comment-classifier.js';

/** Messages between ClassifierPool and its workers (structured clone). */
export interface WorkerData {
  /** The model artifact's JSON text, as read and validated by the main thread. */
  readonly artifact: string;
  readonly maxChars: number;
  readonly entities: boolean;
}

export interface WorkerTask {
  readonly kind: 'task';
  readonly id: number;
  readonly items: readonly ClassifyRequest[];
}

export type WorkerReply =
  | { readonly kind: 'ready'; readonly version: string }
  | { readonly kind: 'fatal'; readonly error: string }
  | {
      readonly kind: 'result';
      readonly id: number;
      readonly results: ClassifyResult[];
      /** Time the worker spent classifying this task. */
      readonly busyMs: number;
    };

export function isWorkerTask(x: unknown): x is WorkerTask {
  return (
    typeof x === 'object' &&
    x !== null &&
    (x as { kind?: unknown }).kind === 'task' &&
    Array.isArray((x as { items?: unknown }).items)
  );
}

export function isWorkerReply(x: unknown): x is WorkerReply {
  const kind = typeof x === 'object' && x !== null ? (x as { kind?: unknown }).kind : undefined;
  return kind === 'ready' || kind === 'fatal' || kind === 'result';
}
