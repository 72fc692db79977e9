import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { ConfigError } from '../config/env.js';
import { databaseSslFromEnv } from './ssl.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const files: Record<string, string> = { '/etc/ca.pem': PEM, '/etc/key.pem': 'not a cert' };
function readFile(path: string): string {
  const text = files[path];
  if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
  return text;
}

/** The ConfigError `fn` throws (fails when it throws something else or nothing). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('databaseSslFromEnv', () => {
  it('is off when DATABASE_SSL is unset, empty or a "no" spelling', () => {
    for (const value of [undefined, '', 'false', 'disable', 'off', 'no', '0', 'FALSE']) {
      expect(databaseSslFromEnv({ DATABASE_SSL: value }, readFile)).toBe(false);
    }
  });

  it('keeps true and require working: TLS with certificate and host name verified', () => {
    for (const value of ['true', 'require', 'verify-full', 'Verify-Full', ' on ', 'yes', '1']) {
      const ssl = databaseSslFromEnv({ DATABASE_SSL: value }, readFile);
      expect(ssl).toEqual({ rejectUnauthorized: true });
    }
  });

  it('trusts DATABASE_SSL_CA_FILE instead of the system roots, read at parse time', () => {
    expect(
      databaseSslFromEnv(
        { DATABASE_SSL: 'verify-full', DATABASE_SSL_CA_FILE: '/etc/ca.pem' },
        readFile,
      ),
    ).toEqual({ rejectUnauthorized: true, ca: PEM });
  });

  it('verify-ca verifies the chain but not the host name', () => {
    const ssl = databaseSslFromEnv(
      { DATABASE_SSL: 'verify-ca', DATABASE_SSL_CA_FILE: '/etc/ca.pem' },
      readFile,
    );
    expect(ssl).toMatchObject({ rejectUnauthorized: true, ca: PEM });
    if (ssl === false || ssl.checkServerIdentity === undefined) throw new Error('no override');
    const otherHost = { subject: { CN: 'db.example' }, subjectaltname: 'DNS:db.example' };
    // Node's own check refuses the other name; verify-ca's accepts it.
    expect(checkServerIdentity('127.0.0.1', otherHost as PeerCertificate)).toMatchObject({
      code: 'ERR_TLS_CERT_ALTNAME_INVALID',
    });
    expect(ssl.checkServerIdentity('127.0.0.1', otherHost as PeerCertificate)).toBeUndefined();
    // verify-full keeps Node's check.
    const full = databaseSslFromEnv({ DATABASE_SSL: 'verify-full' }, readFile);
    expect(full !== false && full.checkServerIdentity).toBeUndefined();
  });

  it('fails fast naming the variable', () => {
    expect(configError(() => databaseSslFromEnv({ DATABASE_SSL: 'maybe' }, readFile))).toEqual(
      expect.objectContaining({ variable: 'DATABASE_SSL' }),
    );
    expect(
      configError(() => databaseSslFromEnv({ DATABASE_SSL: 'constructor' }, readFile)).variable,
    ).toBe('DATABASE_SSL');
    // verify-ca against the public roots would accept any publicly certified server.
    expect(
      configError(() => databaseSslFromEnv({ DATABASE_SSL: 'verify-ca' }, readFile)).variable,
    ).toBe('DATABASE_SSL_CA_FILE');
    // A CA without TLS would be ignored silently.
    expect(
      configError(() => databaseSslFromEnv({ DATABASE_SSL_CA_FILE: '/etc/ca.pem' }, readFile))
        .variable,
    ).toBe('DATABASE_SSL_CA_FILE');
    const missing = configError(() =>
      databaseSslFromEnv({ DATABASE_SSL: 'true', DATABASE_SSL_CA_FILE: '/nope.pem' }, readFile),
    );
    expect(missing.variable).toBe('DATABASE_SSL_CA_FILE');
    expect(missing.message).toMatch(/\/nope\.pem.*ENOENT/);
    const notPem = configError(() =>
      databaseSslFromEnv({ DATABASE_SSL: 'true', DATABASE_SSL_CA_FILE: '/etc/key.pem' }, readFile),
    );
    expect(notPem.message).toMatch(/DATABASE_SSL_CA_FILE must name a PEM file/);
  });

  it('refuses TLS settings in DATABASE_URL too, since pg would let the URL win', () => {
    const err = configError(() =>
      databaseSslFromEnv(
        {
          DATABASE_SSL: 'verify-full',
          DATABASE_URL: 'postgres://u@db:5432/x?sslmode=disable&application_name=a',
        },
        readFile,
      ),
    );
    expect(err.variable).toBe('DATABASE_SSL');
    expect(err.message).toMatch(/sslmode in DATABASE_URL/);
    // Without DATABASE_SSL the URL's own settings stay the way to configure TLS.
    expect(
      databaseSslFromEnv({ DATABASE_URL: 'postgres://u@db:5432/x?sslmode=verify-full' }, readFile),
    ).toBe(false);
  });

  it('reads a real file by default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'db-ssl-'));
    try {
      const path = join(dir, 'ca.pem');
      writeFileSync(path, PEM);
      expect(databaseSslFromEnv({ DATABASE_SSL: 'true', DATABASE_SSL_CA_FILE: path })).toEqual({
        rejectUnauthorized: true,
        ca: PEM,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
