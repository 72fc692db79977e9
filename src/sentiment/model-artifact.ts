import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../platform/config/env.js';
import { loadModel, type SentimentModel } from './domain/index.js';

/** The model artifact as read at boot: its text (handed to each worker) and the built model. */
export interface LoadedArtifact {
  /** Absolute path of the artifact JSON. */
  readonly path: string;
  readonly text: string;
  readonly sha256: string;
  readonly model: SentimentModel;
}

interface Pointer {
  file: string;
  modelVersion?: string;
  sha256?: string;
}

function isPointer(x: unknown): x is Pointer {
  return (
    typeof x === 'object' &&
    x !== null &&
    !('format' in x) &&
    typeof (x as { file?: unknown }).file === 'string'
  );
}

function read(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ConfigError('SENTIMENT_MODEL', `cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * Reads the artifact `SENTIMENT_MODEL` names — directly, or through the `current.json` pointer
 * `nlp:train` writes, whose checksum and version must match — and builds the model once, so a
 * broken or mismatched artifact stops the service at boot with an error naming the variable.
 */
export function readModelArtifact(modelPath: string): LoadedArtifact {
  let file = modelPath;
  let bytes = read(file);
  let pointer: Pointer | undefined;
  // A pointer is a few hundred bytes; do not JSON.parse a full artifact twice.
  if (bytes.length < 64 * 1024) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new ConfigError('SENTIMENT_MODEL', `${file} is not JSON`);
    }
    if (isPointer(parsed)) {
      pointer = parsed;
      file = path.resolve(path.dirname(modelPath), parsed.file);
      bytes = read(file);
    }
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (pointer?.sha256 !== undefined && pointer.sha256 !== sha256) {
    throw new ConfigError(
      'SENTIMENT_MODEL',
      `${file} has sha256 ${sha256}, but ${modelPath} expects ${pointer.sha256}`,
    );
  }
  const text = bytes.toString('utf8');
  let model: SentimentModel;
  try {
    model = loadModel(text);
  } catch (err) {
    throw new ConfigError('SENTIMENT_MODEL', `${file} is not a valid model: ${String(err)}`);
  }
  if (pointer?.modelVersion !== undefined && pointer.modelVersion !== model.version) {
    throw new ConfigError(
      'SENTIMENT_MODEL',
      `${file} is model ${model.version}, but ${modelPath} names ${pointer.modelVersion}`,
    );
  }
  return { path: file, text, sha256, model };
}
