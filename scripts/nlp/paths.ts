import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (scripts/nlp/ is two levels below it). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MODELS_DIR = path.join(REPO_ROOT, 'models');

/** `--name value` or `--name=value` from argv, else the environment variable, else undefined. */
export function option(
  argv: readonly string[],
  name: string,
  envName?: string,
): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === `--${name}`) return argv[i + 1];
    if (a?.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return envName !== undefined ? process.env[envName] : undefined;
}

export function flag(argv: readonly string[], name: string): boolean {
  return argv.includes(`--${name}`);
}

/**
 * The shared evaluation data (never copied into the repo): `--eval-data DIR`, or
 * NLP_EVAL_DATA, default ../shared/eval-data relative to the repository root.
 */
export function evalDataDir(argv: readonly string[]): string {
  const given = option(argv, 'eval-data', 'NLP_EVAL_DATA');
  return path.resolve(REPO_ROOT, given ?? path.join('..', 'shared', 'eval-data'));
}

/**
 * The Sentiment140 100k sample used for training: `--s140 DIR`, or NLP_S140_DIR, default
 * <eval-data>/train/sentiment140-100k.
 */
export function sentiment140Dir(argv: readonly string[]): string {
  const given = option(argv, 's140', 'NLP_S140_DIR');
  return given !== undefined
    ? path.resolve(REPO_ROOT, given)
    : path.join(evalDataDir(argv), 'train', 'sentiment140-100k');
}

/** The UCI sentences as a fresh user gets them: the npm package `sentiment`'s test fixtures. */
export function uciDir(): string {
  return path.join(REPO_ROOT, 'node_modules', 'sentiment', 'test', 'fixtures');
}

export function present(...paths: string[]): boolean {
  return paths.every((p) => existsSync(p));
}
