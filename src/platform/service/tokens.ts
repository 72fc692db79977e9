/** Injection tokens of the platform's shared resources. */
export const SERVICE_CONFIG = Symbol('SERVICE_CONFIG');
export const KAFKA_CLIENT = Symbol('KAFKA_CLIENT');
export const KAFKA_PRODUCER = Symbol('KAFKA_PRODUCER');
export const PG_POOL = Symbol('PG_POOL');
/** `{ consumer?: BatchConsumer }`: lets the bootstrap find the consumer without probing for it. */
export const CONSUMER_HANDLE = Symbol('CONSUMER_HANDLE');
