import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker module `name` (a path without extension, relative to `base`, the caller's
 * `import.meta.url`): the compiled `.js` file, or — when the caller itself runs from
 * TypeScript sources (tsx, jest) — the `.ts` file behind tsx's loader. On Node 20 a worker does
 * not inherit the `--import tsx` hooks, so a bootstrap registers them in the worker first.
 */
export function startModuleWorker(
  base: string,
  name: string,
  options: Omit<WorkerOptions, 'eval'> = {},
): Worker {
  if (!base.endsWith('.ts')) return new Worker(new URL(`${name}.js`, base), options);
  const entry = new URL(`${name}.ts`, base).href;
  // tsx's ESM entry of the API (the package's `import` condition of tsx/esm/api).
  const tsxApi = pathToFileURL(
    createRequire(base)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
