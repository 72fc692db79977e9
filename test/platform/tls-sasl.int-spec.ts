import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type Env } from '../../src/platform/config/env.js';
import { AvroSerde } from '../../src/platform/messaging/avro-serde.js';
import { createKafka, loadMessagingConfig } from '../../src/platform/messaging/kafka.js';
import { probeRegistry } from '../../src/platform/messaging/registry-http.js';
import { loadServiceConfig } from '../../src/platform/service/service-config.js';
import {
  initializeLedgerDataSource,
  ledgerDatabaseConfigFromEnv,
} from '../../src/ledger/ledger.data-source.js';
import { readAll, uniqueName } from '../support/kafka.js';
import { createTestCertificates, type TestCertificates } from '../support/test-certificates.js';
import { startThrowawayKafka, type ThrowawayKafka } from '../support/throwaway-kafka.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../support/throwaway-postgres.js';
import { freePort } from '../support/throwaway-servers.js';

/**
 * Issue 7: the Kafka, schema-registry and PostgreSQL connections use TLS/SASL through
 * configuration alone. Everything goes through the platform's own config loaders and client
 * factories (`loadMessagingConfig` + `createKafka`, `AvroSerde.fromConfig`, `probeRegistry`,
 * `loadServiceConfig().databaseSsl`, the ledger's TypeORM data source) against throw-away
 * servers started here on free ports — a private CA made with openssl, a SASL_SSL-only Kafka
 * 3.9 broker, a TLS-only PostgreSQL cluster and an https registry stub — never the shared stack.
 */

const APP = { name: 'app', password: 'app-secret-7' };

let sandbox: string;
let certs: TestCertificates;
let kafka: ThrowawayKafka | undefined;
let postgres: ThrowawayPostgres | undefined;

beforeAll(async () => {
  sandbox = mkdtempSync(join(tmpdir(), 'streamline-tls-'));
  certs = await createTestCertificates(join(sandbox, 'certs'));
  // Both servers start side by side; whichever started is stopped in afterAll even if the
  // other failed (the failure then fails every test with the server's log).
  const [k, p] = await Promise.allSettled([
    startThrowawayKafka({ dir: join(sandbox, 'kafka'), certs, users: [APP] }),
    startThrowawayPostgres({ certs }),
  ]);
  if (k.status === 'fulfilled') kafka = k.value;
  if (p.status === 'fulfilled') postgres = p.value;
  if (k.status === 'rejected') throw k.reason;
  if (p.status === 'rejected') throw p.reason;
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([kafka?.stop(), postgres?.stop()]);
  if (sandbox !== undefined) rmSync(sandbox, { recursive: true, force: true });
}, 60_000);

/** The error `promise` rejects with (fails the test when it resolves). */
async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    // Duck-typed: errors made by Node's core (tls) come from another realm than Jest's Error.
    if (typeof err === 'object' && err !== null && 'message' in err) {
      return err as Error & { code?: string };
    }
    throw new Error(`rejected with a non-Error: ${String(err)}`);
  }
  throw new Error('expected a rejection');
}

function broker(): ThrowawayKafka {
  if (kafka === undefined) throw new Error('the throw-away Kafka did not start (see beforeAll)');
  return kafka;
}

function database(): ThrowawayPostgres {
  if (postgres === undefined) {
    throw new Error('the throw-away PostgreSQL did not start (see beforeAll)');
  }
  return postgres;
}

describe('Kafka over SASL_SSL, configured by KAFKA_* variables', () => {
  /** The variables a deployment would set; each test overrides one. */
  const kafkaEnv = (overrides: Env = {}): Env => ({
    KAFKA_BROKERS: broker().brokers,
    KAFKA_SSL: 'true',
    KAFKA_SSL_CA_FILE: certs.caFile,
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    KAFKA_SASL_USERNAME: APP.name,
    KAFKA_SASL_PASSWORD: APP.password,
    // Failures below are definitive: one attempt instead of about 30 s of retries.
    KAFKA_RETRIES: '0',
    ...overrides,
  });

  it('creates a topic, produces and consumes a record (SCRAM-SHA-256, private CA)', async () => {
    const client = createKafka(
      loadMessagingConfig(kafkaEnv({ KAFKA_RETRIES: '8' }), uniqueName('tls')),
    );
    const topic = uniqueName('tls-sasl');
    const admin = client.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
      });
      expect(await admin.listTopics()).toContain(topic);
    } finally {
      await admin.disconnect();
    }
    const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: [{ key: 'k1', value: 'over TLS', headers: { via: 'sasl_ssl' } }],
      });
    } finally {
      await producer.disconnect();
    }
    const records = await readAll(client, topic, 1);
    expect(records).toEqual([
      expect.objectContaining({ key: 'k1', headers: { via: 'sasl_ssl' }, offset: '0' }),
    ]);
    expect(records[0]?.value?.toString()).toBe('over TLS');
  });

  it('authenticates with SASL/PLAIN over TLS too', async () => {
    const admin = createKafka(
      loadMessagingConfig(kafkaEnv({ KAFKA_SASL_MECHANISM: 'plain' }), uniqueName('tls')),
    ).admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      expect(cluster.brokers).toEqual([
        expect.objectContaining({
          host: '127.0.0.1',
          port: Number(broker().brokers.split(':')[1]),
        }),
      ]);
    } finally {
      await admin.disconnect();
    }
  });

  it.each(['scram-sha-256', 'plain'])(
    'refuses a wrong password with an authentication error (%s)',
    async (mechanism) => {
      const admin = createKafka(
        loadMessagingConfig(
          kafkaEnv({ KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_PASSWORD: 'wrong' }),
          uniqueName('tls'),
        ),
      ).admin();
      try {
        const err = await rejectionOf(admin.connect());
        expect(err.name).toBe('KafkaJSSASLAuthenticationError');
        expect(err.message).toMatch(/authentication failed/i);
      } finally {
        await admin.disconnect();
      }
    },
  );

  it('rejects the TLS handshake without KAFKA_SSL_CA_FILE (certificate not trusted)', async () => {
    const admin = createKafka(
      loadMessagingConfig(kafkaEnv({ KAFKA_SSL_CA_FILE: '' }), uniqueName('tls')),
    ).admin();
    try {
      // The broker's chain ends in our private CA, which is not among the system roots.
      await expect(admin.connect()).rejects.toThrow(
        /self[- ]signed certificate in certificate chain/,
      );
    } finally {
      await admin.disconnect();
    }
  });

  it('gets nowhere without TLS: the listener speaks SASL_SSL only', async () => {
    const admin = createKafka(
      loadMessagingConfig(
        kafkaEnv({ KAFKA_SSL: 'false', KAFKA_SSL_CA_FILE: '' }),
        uniqueName('tls'),
      ),
    ).admin();
    try {
      await expect(admin.connect()).rejects.toThrow(/closed connection|connection error/i);
    } finally {
      await admin.disconnect();
    }
  });
});

describe('schema registry over https with a private CA and basic auth', () => {
  const SCHEMA = JSON.stringify({
    type: 'record',
    name: 'Ping',
    namespace: 'test',
    fields: [{ name: 'id', type: 'string' }],
  });
  let registry: Server;
  let url: string;

  beforeAll(async () => {
    // A stub of the two Confluent-API routes the platform calls here, behind TLS and auth.
    const expected = `Basic ${Buffer.from('reg:reg-secret').toString('base64')}`;
    registry = createServer({ cert: certs.serverCertPem, key: certs.serverKeyPem }, (req, res) => {
      res.setHeader('content-type', 'application/vnd.schemaregistry.v1+json');
      if (req.headers.authorization !== expected) {
        res.writeHead(401).end(JSON.stringify({ error_code: 401, message: 'Unauthorized' }));
      } else if (req.url === '/apis/ccompat/v7/subjects') {
        res.end('["ping-value"]');
      } else if (req.url === '/apis/ccompat/v7/schemas/ids/7') {
        res.end(JSON.stringify({ schema: SCHEMA }));
      } else {
        res.writeHead(404).end(JSON.stringify({ error_code: 40403, message: 'not found' }));
      }
    });
    const port = await freePort();
    await new Promise<void>((resolve) => registry.listen(port, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${port}/apis/ccompat/v7`;
  });

  afterAll(async () => {
    registry.closeAllConnections();
    await new Promise<void>((resolve) => registry.close(() => resolve()));
  });

  const registryEnv = (overrides: Env = {}): Env => ({
    SCHEMA_REGISTRY_URL: url,
    SCHEMA_REGISTRY_CA_FILE: certs.caFile,
    SCHEMA_REGISTRY_USERNAME: 'reg',
    SCHEMA_REGISTRY_PASSWORD: 'reg-secret',
    ...overrides,
  });

  it('the serde fetches schemas and the readiness probe answers, with the CA file', async () => {
    const config = loadMessagingConfig(registryEnv(), 'tls-registry');
    await expect(probeRegistry(config, 2000)).resolves.toBeUndefined();
    const serde = AvroSerde.fromConfig(config);
    await expect(serde.registry.getSchema(7)).resolves.toBeDefined();
  });

  it('fails without the CA file (certificate not trusted) and with a wrong password', async () => {
    await expect(
      probeRegistry(
        loadMessagingConfig(registryEnv({ SCHEMA_REGISTRY_CA_FILE: '' }), 'tls-registry'),
        2000,
      ),
    ).rejects.toThrow(/self[- ]signed certificate in certificate chain|unable to verify/);
    await expect(
      probeRegistry(
        loadMessagingConfig(registryEnv({ SCHEMA_REGISTRY_PASSWORD: 'wrong' }), 'tls-registry'),
        2000,
      ),
    ).rejects.toThrow('registry answered 401');
  });
});

describe('PostgreSQL over TLS, configured by DATABASE_SSL and DATABASE_SSL_CA_FILE', () => {
  const sslOf = (env: Env) => loadServiceConfig(env, 'tls-test', 0).databaseSsl;

  /** Connects like the platform's pool does and reports whether the session uses TLS. */
  async function sessionSsl(env: Env): Promise<{ ssl: boolean; version: string | null }> {
    const pool = new pg.Pool({
      connectionString: database().url(),
      ssl: sslOf(env),
      max: 1,
      connectionTimeoutMillis: 5000,
    });
    try {
      const { rows } = await pool.query<{ ssl: boolean; version: string | null }>(
        'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      if (rows[0] === undefined) throw new Error('no pg_stat_ssl row for this session');
      return rows[0];
    } finally {
      await pool.end();
    }
  }

  it('connects with DATABASE_SSL=verify-full and the private CA; the session is TLS', async () => {
    const env = { DATABASE_SSL: 'verify-full', DATABASE_SSL_CA_FILE: certs.caFile };
    const session = await sessionSsl(env);
    expect(session.ssl).toBe(true);
    expect(session.version).toMatch(/^TLSv1\.[23]$/);
    // The older spelling and verify-ca work as well.
    expect(await sessionSsl({ ...env, DATABASE_SSL: 'require' })).toMatchObject({ ssl: true });
    expect(await sessionSsl({ ...env, DATABASE_SSL: 'verify-ca' })).toMatchObject({ ssl: true });
  });

  it("the ledger's TypeORM data source (and its migration lock connection) use TLS", async () => {
    const env = {
      DATABASE_URL: database().url(),
      DATABASE_SSL: 'verify-full',
      DATABASE_SSL_CA_FILE: certs.caFile,
    };
    const dataSource = await initializeLedgerDataSource({
      ...ledgerDatabaseConfigFromEnv(env),
      poolMax: 2,
      applicationName: 'tls-test-ledger',
    });
    try {
      const rows: Array<{ ssl: boolean }> = await dataSource.query(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(rows).toEqual([{ ssl: true }]);
      // The migrations ran over that TLS connection.
      const applied: Array<{ n: string }> = await dataSource.query(
        'SELECT count(*) AS n FROM ledger.typeorm_migrations',
      );
      expect(Number(applied[0]?.n)).toBeGreaterThan(0);
    } finally {
      await dataSource.destroy();
    }
  });

  it('refuses a connection without TLS (DATABASE_SSL unset): hostssl only', async () => {
    const err = await rejectionOf(sessionSsl({}));
    expect(err.code).toBe('28000'); // invalid_authorization_specification
    expect(err.message).toMatch(/pg_hba\.conf rejects connection .* no encryption/);
  });

  it('rejects the server certificate without DATABASE_SSL_CA_FILE', async () => {
    const err = await rejectionOf(sessionSsl({ DATABASE_SSL: 'verify-full' }));
    expect(err.code).toMatch(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/);
  });
});
