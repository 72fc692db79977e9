import { readFileSync } from 'node:fs';
import kafkajs, { type KafkaConfig, type logCreator, type SASLOptions } from 'kafkajs';
import {
  ConfigError,
  envBool,
  envInt,
  envList,
  envOptional,
  envString,
  type Env,
} from '../config/env.js';
import { namedLogger } from '../logging/logger.js';

const { Kafka, logLevel } = kafkajs;
export type KafkaClient = InstanceType<typeof Kafka>;

export interface MessagingConfig {
  readonly brokers: string[];
  readonly clientId: string;
  readonly ssl: boolean;
  readonly sslCaFile: string | undefined;
  readonly sasl: SASLOptions | undefined;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Prepended to every catalog topic name (isolates environments sharing a cluster). */
  readonly topicPrefix: string;
  readonly registryUrl: string;
  readonly registryUsername: string | undefined;
  readonly registryPassword: string | undefined;
}

/** Reads the Kafka and schema-registry settings; errors name the variable. */
export function loadMessagingConfig(env: Env, clientId: string): MessagingConfig {
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
  return {
    brokers: envList(env, 'KAFKA_BROKERS', ['127.0.0.1:9092']),
    clientId: envString(env, 'KAFKA_CLIENT_ID', clientId),
    ssl: envBool(env, 'KAFKA_SSL', false),
    sslCaFile: envOptional(env, 'KAFKA_SSL_CA_FILE'),
    sasl,
    connectionTimeoutMs: envInt(env, 'KAFKA_CONNECTION_TIMEOUT_MS', 3000, { min: 100 }),
    requestTimeoutMs: envInt(env, 'KAFKA_REQUEST_TIMEOUT_MS', 30000, { min: 100 }),
    topicPrefix: envString(env, 'KAFKA_TOPIC_PREFIX', ''),
    registryUrl: envString(env, 'SCHEMA_REGISTRY_URL', 'http://127.0.0.1:8081/apis/ccompat/v7'),
    registryUsername: envOptional(env, 'SCHEMA_REGISTRY_USERNAME'),
    registryPassword: envOptional(env, 'SCHEMA_REGISTRY_PASSWORD'),
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
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10_000, multiplier: 2 },
    logLevel: logLevel.WARN,
    logCreator: kafkajsLogCreator,
  };
  if (config.ssl) {
    options.ssl = config.sslCaFile ? { ca: [readFileSync(config.sslCaFile, 'utf8')] } : true;
  }
  if (config.sasl) options.sasl = config.sasl;
  return new Kafka(options);
}
