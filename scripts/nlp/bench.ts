/**
 * Single-thread throughput of `analyze` on short texts (one core), per CPU-second and wall:
 *   npx tsx scripts/nlp/bench.ts [--eval-data DIR]
 * Uses the Sentiment140 tweets when the shared data is there, else built-in sample comments.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { analyze } from '../../src/sentiment/domain/analyze.js';
import { loadModel } from '../../src/sentiment/domain/model.js';
import { loadSentiment140 } from './data.js';
import { MODELS_DIR, present, sentiment140Dir } from './paths.js';

const argv = process.argv.slice(2);
const SAMPLE = [
  'I love this phone, the camera is amazing!!! 😍',
  "Worst service ever. Won't come back :(",
  'The food was good but the waiting time was terrible',
  '@shop my order #1234 still has not arrived... http://t.co/x',
  'Este produto é excelente, recomendo muito!',
  'Não gostei, o atendimento foi péssimo',
  'not bad at all, pretty decent for the price',
  'meh',
];

function texts(): string[] {
  const dir = sentiment140Dir(argv);
  if (present(path.join(dir, 'positive.txt'))) {
    return loadSentiment140(dir)
      .filter((_, i) => i % 20 === 0)
      .map((t) => t.text);
  }
  return Array.from({ length: 5000 }, (_, i) => SAMPLE[i % SAMPLE.length] ?? '');
}

function rate(
  label: string,
  items: readonly string[],
  linguistics: boolean,
  seconds: number,
): void {
  const model = loadModel(readFileSync(path.join(MODELS_DIR, currentFile()), 'utf8'));
  for (const t of items.slice(0, 500)) analyze(model, t, { linguistics });
  let n = 0;
  let chars = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  while (performance.now() - start < seconds * 1000) {
    for (const t of items) {
      analyze(model, t, { linguistics });
      n += 1;
      chars += t.length;
      if (n % 1000 === 0 && performance.now() - start >= seconds * 1000) break;
    }
  }
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // Per CPU-second is the per-core rate even when other processes share the cores.
  console.log(
    `${label}: ${Math.round(n / cpuSeconds).toLocaleString('en')} texts per CPU-second, ` +
      `${Math.round(n / elapsed).toLocaleString('en')} texts/s wall ` +
      `(${n} texts, mean ${Math.round(chars / n)} chars, ${elapsed.toFixed(1)} s wall, ${cpuSeconds.toFixed(1)} s CPU)`,
  );
}

function currentFile(): string {
  return (
    JSON.parse(readFileSync(path.join(MODELS_DIR, 'current.json'), 'utf8')) as { file: string }
  ).file;
}

const items = texts();
const t0 = performance.now();
loadModel(readFileSync(path.join(MODELS_DIR, currentFile()), 'utf8'));
console.log(`loadModel: ${(performance.now() - t0).toFixed(0)} ms`);
rate('analyze (hot path)', items, false, 5);
rate('analyze + compromise linguistics', items, true, 5);
