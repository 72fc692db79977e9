import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Integration tests run against the real stack that `npm test` starts first
 * (`bash infra/stack.sh up`). Its endpoints are in `.stack/env`; variables already set in the
 * environment win, so the same suite runs against any stack.
 */
export default function globalSetup(): void {
  const envFile = join(import.meta.dirname, '../../.stack/env');
  if (!existsSync(envFile)) return;
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const m = /^(?:export\s+)?([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, name, raw] = m as unknown as [string, string, string];
    if (process.env[name] === undefined) process.env[name] = raw.replace(/^['"]|['"]$/g, '');
  }
}
