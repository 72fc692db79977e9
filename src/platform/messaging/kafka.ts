import kafkajs, { type KafkaConfig, type logCreator, type SASLOptions } from 'kafkajs';
import {
  ConfigError,
  envBool,
  envInt,
  envList,
  envOptional,
  envString,
  envUrl,
  readCaBundle,
  type Env,
  type ReadTextFile,
} from '../config/env.js';
import { namedLogger } from '../logging/logger.js';

const { Kafka, logLevel } = kafkajs;
export type KafkaClient = InstanceType<typeof Kafka>;

export interface MessagingConfig {
  readonly brokers: string[];
  readonly clientId: string;
  readonly ssl: boolean;
  /** PEM of the CA bundle in KAFKA_SSL_CA_FILE (replaces the system roots); read at boot. */
  readonly sslCa: string | undefined;
  readonly sasl: SASLOptions | undefined;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** kafkajs client retries (connections, metadata, admin) before an error surfaces. */
  readonly retries: number;
  /** Prepended to every catalog topic name (isolates environments sharing a cluster). */
  readonly topicPrefix: string;
  readonly registryUrl: string;
  readonly registryUsername: string | undefined;
  readonly registryPassword: string | undefined;
  /** PEM of the CA bundle in SCHEMA_REGISTRY_CA_FILE (https registry with a private CA). */
  readonly registryCa: string | undefined;
}

/**
 * Reads the Kafka and schema-registry settings; errors name the variable. CA files are read
 * here, at boot (`readFile` is for tests).
 */
export function loadMessagingConfig(
  env: Env,
  clientId: string,
  readFile?: ReadTextFile,
): MessagingConfig {
  const mechanism = envOptional(env, 'KAFKA_SASL_MECHANISM')?.toLowerCase();
  let sasl: SASLOptions | undefined;
  if (mechanism !== undefined) {
    if (mechanism !== 'plain' && mechanism !== 'scram-sha-256' && mechanism !== 'scram-sha-512') {
      throw new ConfigError(
        'KAFKA_SASL_MECHANISM',
        `must be plain, scram-sha-256 or scram-sha-512, got "${mechanism}"`,
      );
    }
    sasl = {
      mechanism,
      username: envString(env, 'KAFKA_SASL_USERNAME'),
      password: envString(env, 'KAFKA_SASL_PASSWORD'),
    };
  }
  const ssl = envBool(env, 'KAFKA_SSL', false);
  const sslCaFile = envOptional(env, 'KAFKA_SSL_CA_FILE');
  if (sslCaFile !== undefined && !ssl) {
    // Without TLS the CA would be ignored: refuse rather than let a deployment believe it has TLS.
    throw new ConfigError('KAFKA_SSL_CA_FILE', 'is set but KAFKA_SSL is false; set KAFKA_SSL=true');
  }
  const registryUrl = envUrl(env, 'SCHEMA_REGISTRY_URL', 'http://127.0.0.1:8081/apis/ccompat/v7');
  const registryCaFile = envOptional(env, 'SCHEMA_REGISTRY_CA_FILE');
  if (registryCaFile !== undefined && new URL(registryUrl).protocol !== 'https:') {
    throw new ConfigError(
      'SCHEMA_REGISTRY_CA_FILE',
      'is set but SCHEMA_REGISTRY_URL is not https://',
    );
  }
  const registryUsername = envOptional(env, 'SCHEMA_REGISTRY_USERNAME');
  const registryPassword = envOptional(env, 'SCHEMA_REGISTRY_PASSWORD');
  if ((registryUsername === undefined) !== (registryPassword === undefined)) {
    const missing = registryUsername === undefined ? 'USERNAME' : 'PASSWORD';
    throw new ConfigError(
      `SCHEMA_REGISTRY_${missing}`,
      'is required when the other basic-auth variable of the registry is set',
    );
  }
  return {
    brokers: envList(env, 'KAFKA_BROKERS', ['127.0.0.1:9092']),
    clientId: envString(env, 'KAFKA_CLIENT_ID', clientId),
    ssl,
    sslCa:
      sslCaFile === undefined ? undefined : readCaBundle('KAFKA_SSL_CA_FILE', sslCaFile, readFile),
    sasl,
    connectionTimeoutMs: envInt(env, 'KAFKA_CONNECTION_TIMEOUT_MS', 3000, { min: 100 }),
    requestTimeoutMs: envInt(env, 'KAFKA_REQUEST_TIMEOUT_MS', 30000, { min: 100 }),
    retries: envInt(env, 'KAFKA_RETRIES', 8, { min: 0, max: 20 }),
    topicPrefix: envString(env, 'KAFKA_TOPIC_PREFIX', ''),
    registryUrl,
    registryUsername,
    registryPassword,
    registryCa:
      registryCaFile === undefined
        ? undefined
        : readCaBundle('SCHEMA_REGISTRY_CA_FILE', registryCaFile, readFile),
  };
}

/** Routes kafkajs's own logs into the JSON logger, keeping its structured fields. */
const kafkajsLogCreator: logCreator = () => {
  const logger = namedLogger('kafkajs');
  return ({ level, log }) => {
    const { message, ...fields } = log;
    if (level === logLevel.ERROR) logger.error(fields, message);
    else if (level === logLevel.WARN) logger.warn(fields, message);
    else if (level === logLevel.INFO) logger.debug(fields, message);
    else logger.trace(fields, message);
  };
};

/** A kafkajs client with every option spelled out at the call site. */
export function createKafka(config: MessagingConfig): KafkaClient {
  const options: KafkaConfig = {
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: config.connectionTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    // Backoff 200 ms doubling to 10 s: the default 8 retries give up after about 30 s.
    retry: { initialRetryTime: 200, retries: config.retries, maxRetryTime: 10_000, multiplier: 2 },
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator,
  };
  if (config.ssl) {
    // Certificates and host names are always verified (Node's default); a CA replaces the roots.
    options.ssl = config.sslCa === undefined ? true : { ca: [config.sslCa] };
  }
  if (config.sasl) options.sasl = config.sasl;
  return new Kafka(options);
}
