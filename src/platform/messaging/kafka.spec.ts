import { ConfigError } from '../config/env.js';
import { loadMessagingConfig } from './kafka.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
function readFile(path: string): string {
  if (path === '/etc/ca.pem') return PEM;
  throw new Error(`ENOENT: no such file or directory, open '${path}'`);
}

function variableOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.variable;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadMessagingConfig: TLS and SASL', () => {
  it('defaults to plaintext without SASL and 8 client retries', () => {
    expect(loadMessagingConfig({}, 'svc', readFile)).toMatchObject({
      brokers: ['127.0.0.1:9092'],
      clientId: 'svc',
      ssl: false,
      sslCa: undefined,
      sasl: undefined,
      retries: 8,
      registryCa: undefined,
    });
  });

  it('reads SASL_SSL settings, the CA file at parse time', () => {
    expect(
      loadMessagingConfig(
        {
          KAFKA_SSL: 'true',
          KAFKA_SSL_CA_FILE: '/etc/ca.pem',
          KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
          KAFKA_SASL_USERNAME: 'app',
          KAFKA_SASL_PASSWORD: 'pw',
          KAFKA_RETRIES: '0',
          SCHEMA_REGISTRY_URL: 'https://registry.internal/apis/ccompat/v7',
          SCHEMA_REGISTRY_CA_FILE: '/etc/ca.pem',
          SCHEMA_REGISTRY_USERNAME: 'reg',
          SCHEMA_REGISTRY_PASSWORD: 'regpw',
        },
        'svc',
        readFile,
      ),
    ).toMatchObject({
      ssl: true,
      sslCa: PEM,
      sasl: { mechanism: 'scram-sha-256', username: 'app', password: 'pw' },
      retries: 0,
      registryCa: PEM,
      registryUsername: 'reg',
      registryPassword: 'regpw',
    });
  });

  it('fails fast naming the variable', () => {
    const load = (env: Record<string, string>) => () => loadMessagingConfig(env, 'svc', readFile);
    expect(variableOf(load({ KAFKA_SASL_MECHANISM: 'gssapi' }))).toBe('KAFKA_SASL_MECHANISM');
    expect(variableOf(load({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }))).toBe(
      'KAFKA_SASL_PASSWORD',
    );
    expect(variableOf(load({ KAFKA_SSL: 'maybe' }))).toBe('KAFKA_SSL');
    // A CA without TLS would be ignored: refused rather than giving a false sense of TLS.
    expect(variableOf(load({ KAFKA_SSL_CA_FILE: '/etc/ca.pem' }))).toBe('KAFKA_SSL_CA_FILE');
    expect(variableOf(load({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/missing.pem' }))).toBe(
      'KAFKA_SSL_CA_FILE',
    );
    expect(variableOf(load({ KAFKA_RETRIES: '-1' }))).toBe('KAFKA_RETRIES');
    expect(variableOf(load({ SCHEMA_REGISTRY_URL: 'not a url' }))).toBe('SCHEMA_REGISTRY_URL');
    expect(variableOf(load({ SCHEMA_REGISTRY_CA_FILE: '/etc/ca.pem' }))).toBe(
      'SCHEMA_REGISTRY_CA_FILE',
    );
    expect(variableOf(load({ SCHEMA_REGISTRY_USERNAME: 'reg' }))).toBe('SCHEMA_REGISTRY_PASSWORD');
    expect(variableOf(load({ SCHEMA_REGISTRY_PASSWORD: 'pw' }))).toBe('SCHEMA_REGISTRY_USERNAME');
  });
});
