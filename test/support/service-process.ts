import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './wait-for.js';

const repoRoot = join(import.meta.dirname, '../..');

export interface ServiceProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Output lines seen so far (JSON logs). */
  readonly output: string[];
  /** Sends `signal` and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Runs a service as a real process from the compiled build (`npm run build` first; the test
 * command does it), so tests can SIGKILL/SIGTERM it like an orchestrator would, and waits until
 * `/health/ready` answers 200. `env` is added to the test's environment (stack endpoints).
 */
export async function startServiceProcess(
  name: string,
  port: number,
  env: Record<string, string>,
  { readyTimeoutMs = 60_000 }: { readyTimeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const entry = join(repoRoot, 'dist/src', name, 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} missing: run npm run build first`);
  const child = spawn(process.execPath, [entry], {
    cwd: repoRoot,
    env: {
      ...process.env,
      HTTP_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer): void => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) output.push(line);
    if (output.length > 5000) output.splice(0, output.length - 5000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  let exitedEarly = false;
  void exit.then(() => {
    exitedEarly = true;
  });
  try {
    await waitFor(
      `${name} ready on ${url}`,
      async () => {
        // A crashed service fails the wait at once instead of polling until the deadline.
        if (exitedEarly || child.exitCode !== null || child.signalCode !== null) return 'exited';
        // Bounded: a service whose event loop is stuck accepts the connection and never answers.
        const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) }).catch(
          () => undefined,
        );
        return res?.status === 200 ? 'ready' : undefined;
      },
      { timeoutMs: readyTimeoutMs, intervalMs: 200 },
    ).then((state) => {
      if (state === 'exited') {
        throw new Error(`${name} exited during start-up (${child.exitCode ?? child.signalCode})`);
      }
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(
      `${(err as Error).message}\n--- last output of ${name} ---\n${output.slice(-30).join('\n')}`,
    );
  }
  return {
    name,
    url,
    child,
    output,
    exited: () => exit,
    stop: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exit;
    },
  };
}

/** A free-ish port per test file: base + a spread derived from the worker id and time. */
export function testPort(offset = 0): number {
  return 40_000 + ((process.pid * 7 + offset * 101 + Math.floor(Date.now() / 1000)) % 20_000);
}
