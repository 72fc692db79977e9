import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface LabelledText {
  text: string;
  /** 1 = positive, 0 = negative. */
  label: 0 | 1;
}

export const UCI_SETS = ['amazon', 'imdb', 'yelp'] as const;
export type UciSet = (typeof UCI_SETS)[number];

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null;
}

/** UCI "Sentiment Labelled Sentences" as JSON `[{text, class}]` (npm `sentiment` fixtures). */
export function loadUci(dir: string, set: UciSet): LabelledText[] {
  const raw: unknown = JSON.parse(readFileSync(path.join(dir, `${set}.json`), 'utf8'));
  if (!Array.isArray(raw)) throw new Error(`${set}.json is not an array`);
  const out: LabelledText[] = [];
  for (const row of raw) {
    if (!isRecord(row) || typeof row.text !== 'string') continue;
    if (row.class !== 0 && row.class !== 1) continue;
    out.push({ text: row.text, label: row.class });
  }
  return out;
}

/** Sentiment140 sample: one tweet per line in positive.txt / negative.txt. */
export function loadSentiment140(dir: string): LabelledText[] {
  const out: LabelledText[] = [];
  for (const [file, label] of [
    ['negative.txt', 0],
    ['positive.txt', 1],
  ] as const) {
    for (const line of readFileSync(path.join(dir, file), 'utf8').split('\n')) {
      const text = line.trim();
      if (text.length > 0) out.push({ text, label });
    }
  }
  return out;
}

/** `text<TAB>label` with a header line (SST-2 dev, en and pt). */
export function loadTsv(file: string): LabelledText[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: LabelledText[] = [];
  for (const line of lines.slice(1)) {
    const tab = line.lastIndexOf('\t');
    if (tab < 0) continue;
    const label = line.slice(tab + 1).trim();
    if (label !== '0' && label !== '1') continue;
    out.push({ text: line.slice(0, tab), label: label === '1' ? 1 : 0 });
  }
  return out;
}

/** mulberry32: small seeded PRNG, so folds and shuffles are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Stratified k-fold assignment: fold[i] in 0..k-1, classes spread evenly, seeded. */
export function stratifiedFolds(labels: readonly number[], k: number, seed: number): number[] {
  const rand = seededRandom(seed);
  const folds = new Array<number>(labels.length).fill(0);
  for (const cls of [0, 1]) {
    const idx = labels.flatMap((l, i) => (l === cls ? [i] : []));
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      const tmp = idx[i] as number;
      idx[i] = idx[j] as number;
      idx[j] = tmp;
    }
    idx.forEach((at, n) => {
      folds[at] = n % k;
    });
  }
  return folds;
}
