import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A private CA and a server certificate it signed, as PEM files and texts. */
export interface TestCertificates {
  readonly dir: string;
  readonly caFile: string;
  readonly caPem: string;
  readonly serverCertFile: string;
  readonly serverCertPem: string;
  /** Unencrypted PKCS#8 (`BEGIN PRIVATE KEY`): what Kafka's PEM key store and PostgreSQL take. */
  readonly serverKeyFile: string;
  readonly serverKeyPem: string;
}

/**
 * Resolves the path of a command-line tool, or fails naming the script that installs it: tools
 * the tests need are installed by the project's own scripts (infra/stack.sh), never by hand.
 */
export async function requireTool(name: string, installedBy = 'npm run stack:up'): Promise<void> {
  try {
    await run('sh', ['-c', `command -v ${name}`]);
  } catch {
    throw new Error(`${name} not found on PATH: run \`${installedBy}\` (it installs ${name})`);
  }
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd, timeout: 30_000 });
  } catch (err) {
    const detail = (err as { stderr?: string }).stderr ?? (err as Error).message;
    throw new Error(`openssl ${args[0] ?? ''} failed: ${detail}`);
  }
}

/**
 * Generates, with the `openssl` CLI, a throw-away CA and a server certificate for `127.0.0.1`
 * and `localhost` (subjectAltName, serverAuth), valid for a day, into `dir`.
 */
export async function createTestCertificates(dir: string): Promise<TestCertificates> {
  await requireTool('openssl');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      '/CN=Streamline test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  await openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=localhost',
    ],
    dir,
  );
  writeFileSync(
    join(dir, 'server.ext'),
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '',
    ].join('\n'),
  );
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '1',
      '-extfile',
      'server.ext',
    ],
    dir,
  );
  const caFile = join(dir, 'ca.crt');
  const serverCertFile = join(dir, 'server.crt');
  const serverKeyFile = join(dir, 'server.key');
  const serverKeyPem = readFileSync(serverKeyFile, 'utf8');
  if (!serverKeyPem.includes('-----BEGIN PRIVATE KEY-----')) {
    throw new Error(`openssl wrote ${serverKeyFile} in a format other than PKCS#8`);
  }
  return {
    dir,
    caFile,
    caPem: readFileSync(caFile, 'utf8'),
    serverCertFile,
    serverCertPem: readFileSync(serverCertFile, 'utf8'),
    serverKeyFile,
    serverKeyPem,
  };
}
