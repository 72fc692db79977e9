import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

/** Helpers shared by the throw-away servers some integration tests start next to the stack. */

export const execFileAsync = promisify(execFile);

/** A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

/** The last `lines` lines of a log file, for error messages (empty when there is none). */
export function tailOf(file: string, lines = 30): string {
  if (!existsSync(file)) return `(no ${file})`;
  const text = readFileSync(file, 'utf8').trimEnd().split('\n');
  return `--- last ${Math.min(lines, text.length)} lines of ${file} ---\n${text.slice(-lines).join('\n')}`;
}

/** stderr (or the message) of a failed execFile, for error messages. */
export function execFailure(err: unknown): string {
  const e = err as { stderr?: string; stdout?: string; message?: string };
  return [e.message, e.stdout, e.stderr].filter((s) => s !== undefined && s !== '').join('\n');
}
