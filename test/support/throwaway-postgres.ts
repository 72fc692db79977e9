import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestCertificates } from './test-certificates.js';
import { execFailure, execFileAsync, freePort, tailOf } from './throwaway-servers.js';

export interface ThrowawayPostgres {
  readonly port: number;
  /** Superuser `postgres`, password-authenticated (scram-sha-256). */
  readonly password: string;
  /** `postgres://postgres:<password>@127.0.0.1:<port>/<database>` (no TLS parameters). */
  url(database?: string): string;
  readonly logFile: string;
  /** Stops the cluster (immediate shutdown) and deletes its files. */
  stop(): Promise<void>;
}

/** The newest PostgreSQL server binaries of the machine (Debian layout), or PG_BIN. */
function pgBin(): string {
  if (process.env.PG_BIN !== undefined) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    : [];
  const newest = versions[0];
  if (newest === undefined) {
    throw new Error(
      `no PostgreSQL server binaries (initdb, pg_ctl) under ${root}: run \`npm run stack:up\` (infra/stack.sh installs them) or set PG_BIN`,
    );
  }
  return join(root, newest, 'bin');
}

/**
 * Starts a private PostgreSQL cluster on a free loopback port that accepts TLS connections
 * ONLY: `ssl=on` with `certs`' server certificate, `hostssl … scram-sha-256` and a
 * `hostnossl … reject` line in pg_hba.conf, no Unix socket. Uses the machine's server binaries;
 * touches nothing of the shared stack. As root, the cluster runs as the `postgres` user (initdb
 * refuses root), in its own temporary directory.
 */
export async function startThrowawayPostgres({
  certs,
  startTimeoutSecs = 30,
}: {
  certs: TestCertificates;
  startTimeoutSecs?: number;
}): Promise<ThrowawayPostgres> {
  const bin = pgBin();
  const asRoot = process.getuid?.() === 0;
  let owner: { uid: number; gid: number } | undefined;
  if (asRoot) {
    try {
      const uid = Number((await execFileAsync('id', ['-u', 'postgres'])).stdout.trim());
      const gid = Number((await execFileAsync('id', ['-g', 'postgres'])).stdout.trim());
      owner = { uid, gid };
    } catch (err) {
      throw new Error(
        `running as root needs the 'postgres' system user for initdb: ${execFailure(err)}`,
      );
    }
  }
  // Runs a server tool as the cluster's owner.
  const asOwner = (tool: string, args: string[], timeoutMs: number) =>
    owner === undefined
      ? execFileAsync(join(bin, tool), args, { timeout: timeoutMs })
      : execFileAsync('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args], {
          timeout: timeoutMs,
        });
  const writeOwned = (path: string, text: string, mode: number): void => {
    writeFileSync(path, text, { mode });
    if (owner !== undefined) chownSync(path, owner.uid, owner.gid);
  };

  // Own directory under the system temp dir, which the `postgres` user can traverse.
  const dir = mkdtempSync(join(tmpdir(), 'streamline-pg-'));
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const password = randomBytes(12).toString('hex');
  const port = await freePort();
  let started = false;

  const stop = async (): Promise<void> => {
    if (started) {
      started = false;
      try {
        await asOwner('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '15', 'stop'], 20_000);
      } catch {
        // pg_ctl could not stop it: end the postmaster itself.
        const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
        if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGKILL');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    writeOwned(join(dir, 'pwfile'), `${password}\n`, 0o600);
    try {
      await asOwner(
        'initdb',
        [
          '-D',
          data,
          '-U',
          'postgres',
          `--pwfile=${join(dir, 'pwfile')}`,
          '--auth=scram-sha-256',
          '-E',
          'UTF8',
          '--no-locale',
          '--no-sync',
        ],
        60_000,
      );
    } catch (err) {
      throw new Error(`throw-away PostgreSQL: initdb failed: ${execFailure(err)}`);
    }
    writeOwned(join(data, 'server.crt'), certs.serverCertPem, 0o644);
    writeOwned(join(data, 'server.key'), certs.serverKeyPem, 0o600);
    appendFileSync(
      join(data, 'postgresql.conf'),
      [
        '',
        '# throw-away TLS-only cluster (test/support/throwaway-postgres.ts)',
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        "unix_socket_directories = ''",
        'ssl = on',
        "ssl_cert_file = 'server.crt'",
        "ssl_key_file = 'server.key'",
        'max_connections = 20',
        'shared_buffers = 16MB',
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(data, 'pg_hba.conf'),
      [
        '# TLS only: a connection without TLS matches the reject line first.',
        'hostnossl all all all            reject',
        'hostssl   all all 127.0.0.1/32   scram-sha-256',
        '',
      ].join('\n'),
    );
    writeOwned(logFile, '', 0o644);
    try {
      await asOwner(
        'pg_ctl',
        ['-D', data, '-l', logFile, '-w', '-t', String(startTimeoutSecs), 'start'],
        (startTimeoutSecs + 10) * 1000,
      );
      started = true;
    } catch (err) {
      // pg_ctl may have started a postmaster that then failed to answer in time.
      started = existsSync(join(data, 'postmaster.pid'));
      throw new Error(
        `throw-away PostgreSQL on 127.0.0.1:${port} did not start: ${execFailure(err)}\n${tailOf(logFile)}`,
      );
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return {
    port,
    password,
    url: (database = 'postgres') => `postgres://postgres:${password}@127.0.0.1:${port}/${database}`,
    logFile,
    stop,
  };
}
