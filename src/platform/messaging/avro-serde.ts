import registryPkg from '@kafkajs/confluent-schema-registry';
import avro from 'avsc';
import { SCHEMA_TEXTS, type SchemaName } from '../schemas/generated.js';
import { DlqReason, PermanentMessageError, RetriableError, errorMessage } from './errors.js';
import { type MessagingConfig } from './kafka.js';
import { registryAgent } from './registry-http.js';
import { valueSubject } from './topics.js';

/** Longest wait for one schema-registry request (each attempt of its retries). */
const REGISTRY_REQUEST_TIMEOUT_MS = 10_000;

const { SchemaRegistry, SchemaType } = registryPkg;
type Registry = InstanceType<typeof SchemaRegistry>;
type RegistryMiddleware = NonNullable<
  ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']
>[number];

/**
 * A default timeout on every registry request (the client's HTTP layer has none), as
 * mappersmith's own TimeoutMiddleware does; written here because that one's ESM typings do not
 * match the CommonJS ones the registry client is typed against.
 */
function requestTimeout(ms: number): RegistryMiddleware {
  return () => ({
    async prepareRequest(next) {
      const request = await next();
      return request.timeout() ? request : request.enhance({ timeout: ms });
    },
  });
}

type AvroResolver = ReturnType<avro.Type['createResolver']>;

const MAGIC_BYTE = 0;
const HEADER_BYTES = 5;

/**
 * Schema id of the Confluent-framed value in bytes [start, end) of `bytes`; undefined when it is
 * too short or lacks the magic byte (schemaIdOf says which).
 */
function framedIdAt(bytes: Buffer, start: number, end: number): number | undefined {
  if (end - start < HEADER_BYTES || bytes[start] !== MAGIC_BYTE) return undefined;
  return bytes.readUInt32BE(start + 1);
}
/** How long an id the registry does not know stays known-unknown before we ask again. */
const UNKNOWN_ID_RECHECK_MS = 60_000;

interface WriterEntry {
  readonly id: number;
  readonly type: avro.Type;
}

/**
 * Avro serde in the Confluent wire format (magic byte 0, 4-byte big-endian schema id, Avro
 * body), through `@kafkajs/confluent-schema-registry` with explicit `<topic>-value` subjects.
 *
 * Hot paths are synchronous: ids and compiled types are cached after the first lookup, so
 * encoding and decoding a message costs one avsc call. Decoding resolves the writer's schema
 * to our own (reader) schema, so a consumer sees its generated type even when a producer
 * writes an older or newer compatible version. Every decode failure is classified: a message
 * that can never decode is a `PermanentMessageError` with a DLQ reason code; a registry that
 * does not answer is a `RetriableError`.
 */
export class AvroSerde {
  /** Bytes before the Avro body of a value: magic byte and schema id. */
  static readonly headerBytes = HEADER_BYTES;

  /** Schema id of the framed value in bytes [start, end) (undefined: too short, no magic byte). */
  static framedIdAt(bytes: Buffer, start: number, end: number): number | undefined {
    return framedIdAt(bytes, start, end);
  }

  private readonly writers = new Map<string, WriterEntry>();
  private readonly readers = new Map<string, avro.Type>();
  private readonly schemasById = new Map<number, avro.Type>();
  /** Per reader schema, per writer id: the resolver (null when writer and reader are the same). */
  private readonly resolvers = new Map<SchemaName, Map<number, AvroResolver | null>>();
  private readonly pending = new Map<number, Promise<avro.Type>>();
  /** Ids the registry said it does not know, with when to ask again (epoch ms). */
  private readonly unknownIds = new Map<number, number>();

  constructor(readonly registry: Registry) {}

  static fromConfig(config: MessagingConfig): AvroSerde {
    const auth =
      config.registryUsername !== undefined && config.registryPassword !== undefined
        ? { username: config.registryUsername, password: config.registryPassword }
        : undefined;
    const agent = registryAgent(config);
    return new AvroSerde(
      new SchemaRegistry(
        {
          host: config.registryUrl,
          clientId: config.clientId,
          retry: { retries: 2 },
          // Without a timeout a request whose answer never arrives waits forever; seen once: a
          // service's boot hung after the registry had answered a registration (its next request
          // never reached the registry), so it never became ready. Timed out, the caller retries.
          middlewares: [requestTimeout(REGISTRY_REQUEST_TIMEOUT_MS)],
          ...(auth ? { auth } : {}),
          ...(agent ? { agent } : {}),
        },
        { [SchemaType.AVRO]: {} },
      ),
    );
  }

  /** Compiled reader type of one of our schemas. */
  readerType(schema: SchemaName): avro.Type {
    let type = this.readers.get(schema);
    if (!type) {
      type = avro.Type.forSchema(JSON.parse(SCHEMA_TEXTS[schema]) as avro.Schema);
      this.readers.set(schema, type);
    }
    return type;
  }

  /**
   * Registers (or finds) `schema` under `<topic>-value` and caches its id for `encode`. The
   * registry answers with the existing id when the same schema is registered again, and with
   * 409 when the change is incompatible with the subject's compatibility level.
   */
  async registerValueSchema(topic: string, schema: SchemaName): Promise<number> {
    const { id } = await this.registry.register(
      { type: SchemaType.AVRO, schema: SCHEMA_TEXTS[schema] },
      { subject: valueSubject(topic) },
    );
    const type = this.readerType(schema);
    this.writers.set(topic, { id, type });
    this.schemasById.set(id, type);
    return id;
  }

  /** Schema id used when writing `topic`, if prepared. */
  writerId(topic: string): number | undefined {
    return this.writers.get(topic)?.id;
  }

  /** Encodes synchronously; `registerValueSchema(topic, …)` must have run once first. */
  encode(topic: string, value: unknown): Buffer {
    const writer = this.writers.get(topic);
    if (!writer) throw new Error(`no value schema prepared for topic ${topic}`);
    const body = writer.type.toBuffer(value);
    const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
    out.writeUInt8(MAGIC_BYTE, 0);
    out.writeUInt32BE(writer.id, 1);
    body.copy(out, HEADER_BYTES);
    return out;
  }

  /** Schema id in a Confluent-framed message, or a classified error. */
  static schemaIdOf(buffer: Buffer | null): number {
    if (buffer === null || buffer.length === 0) {
      throw new PermanentMessageError(DlqReason.EMPTY, 'message has no value');
    }
    if (buffer[0] !== MAGIC_BYTE) {
      throw new PermanentMessageError(
        DlqReason.BAD_MAGIC_BYTE,
        `expected magic byte 0, got ${buffer[0]}: not Confluent-framed Avro`,
      );
    }
    if (buffer.length < HEADER_BYTES) {
      throw new PermanentMessageError(
        DlqReason.TRUNCATED,
        `message of ${buffer.length} bytes is shorter than the 5-byte header`,
      );
    }
    return buffer.readUInt32BE(1);
  }

  /** Writer schema for an id: from cache, else from the registry (one request per id). */
  async writerSchema(id: number): Promise<avro.Type> {
    const cached = this.schemasById.get(id);
    if (cached) return cached;
    let inflight = this.pending.get(id);
    if (!inflight) {
      inflight = this.fetchSchema(id).finally(() => this.pending.delete(id));
      this.pending.set(id, inflight);
    }
    return inflight;
  }

  private async fetchSchema(id: number): Promise<avro.Type> {
    try {
      const schema = await this.registry.getSchema(id);
      const type = schema as unknown as avro.Type;
      if (typeof type.fromBuffer !== 'function') {
        throw new PermanentMessageError(
          DlqReason.UNKNOWN_SCHEMA_ID,
          `schema id ${id} is not an Avro schema`,
        );
      }
      this.schemasById.set(id, type);
      return type;
    } catch (err) {
      if (err instanceof PermanentMessageError) throw err;
      const status = (err as { status?: unknown }).status;
      if (status === 404 || /not found|40403/i.test(errorMessage(err))) {
        this.unknownIds.set(id, Date.now() + UNKNOWN_ID_RECHECK_MS);
        throw new PermanentMessageError(
          DlqReason.UNKNOWN_SCHEMA_ID,
          `schema id ${id} is unknown to the registry`,
          { cause: err },
        );
      }
      throw new RetriableError(`schema registry lookup of id ${id} failed: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  /** True when the writer schema of `buffer` is already cached, so `decodeSync` can run. */
  canDecodeSync(buffer: Buffer | null): boolean {
    return buffer === null || this.canDecodeSyncAt(buffer, 0, buffer.length);
  }

  /** `canDecodeSync` for the value in bytes [start, end) of `bytes`. */
  canDecodeSyncAt(bytes: Buffer, start: number, end: number): boolean {
    const id = framedIdAt(bytes, start, end);
    if (id === undefined) return true;
    return this.schemasById.has(id) || (this.unknownIds.get(id) ?? 0) > Date.now();
  }

  /**
   * True when the value in bytes [start, end) has a cached writer schema that reads as
   * `schema` without resolution (the same schema): its body is laid out as `schema` says, for
   * a caller that reads some fields straight from the bytes.
   */
  readsAsWritten(bytes: Buffer, start: number, end: number, schema: SchemaName): boolean {
    const id = framedIdAt(bytes, start, end);
    if (id === undefined) return false;
    const writer = this.schemasById.get(id);
    if (!writer) return false;
    try {
      return this.resolverFor(id, writer, this.readerType(schema), schema) === null;
    } catch {
      return false; // incompatible: decodeSync says so
    }
  }

  /**
   * `decodeSync` of the value in bytes [start, end) of `bytes` (values packed one after the
   * other), without a Buffer per value. Anything short of a clean decode ending exactly at
   * `end` is decoded again from the value alone by `decodeSync`, for its exact error.
   */
  decodeSyncAt<T>(bytes: Buffer, start: number, end: number, schema: SchemaName): T {
    const id = framedIdAt(bytes, start, end);
    if (id !== undefined) {
      const writer = this.schemasById.get(id);
      if (writer) {
        const reader = this.readerType(schema);
        const resolver = this.resolverFor(id, writer, reader, schema);
        try {
          // Reads only move forward: a decode that ends at `end` read nothing past it.
          const decoded: { value: unknown; offset: number } = reader.decode(
            bytes,
            start + HEADER_BYTES,
            resolver ?? undefined,
          );
          if (decoded.offset === end) return decoded.value as T;
        } catch {
          // decodeSync below says what is wrong
        }
      }
    }
    return this.decodeSync<T>(bytes.subarray(start, end), schema);
  }

  /** Decodes into the reader schema `schema`; fetches an unknown writer schema once. */
  async decode<T>(buffer: Buffer | null, schema: SchemaName): Promise<T> {
    const id = AvroSerde.schemaIdOf(buffer);
    await this.writerSchema(id);
    return this.decodeSync<T>(buffer, schema);
  }

  /** Synchronous decode; the writer schema must be cached (see `canDecodeSync`). */
  decodeSync<T>(buffer: Buffer | null, schema: SchemaName): T {
    const id = AvroSerde.schemaIdOf(buffer);
    const writer = this.schemasById.get(id);
    if (!writer) {
      const recheckAt = this.unknownIds.get(id);
      if (recheckAt !== undefined && recheckAt > Date.now()) {
        throw new PermanentMessageError(
          DlqReason.UNKNOWN_SCHEMA_ID,
          `schema id ${id} is unknown to the registry`,
        );
      }
      throw new RetriableError(`writer schema ${id} not cached`);
    }
    const reader = this.readerType(schema);
    const resolver = this.resolverFor(id, writer, reader, schema);
    const body = (buffer as Buffer).subarray(HEADER_BYTES);
    try {
      return (resolver ? reader.fromBuffer(body, resolver) : reader.fromBuffer(body)) as T;
    } catch (err) {
      const message = errorMessage(err);
      const reason = /truncated/i.test(message) ? DlqReason.TRUNCATED : DlqReason.INVALID_AVRO;
      throw new PermanentMessageError(
        reason,
        `Avro body does not decode with schema ${id}: ${message}`,
        { cause: err },
      );
    }
  }

  private resolverFor(
    id: number,
    writer: avro.Type,
    reader: avro.Type,
    schema: SchemaName,
  ): AvroResolver | null {
    let bySchema = this.resolvers.get(schema);
    if (!bySchema) {
      bySchema = new Map();
      this.resolvers.set(schema, bySchema);
    }
    const cached = bySchema.get(id);
    if (cached !== undefined) return cached;
    let resolver: AvroResolver | null = null;
    if (writer !== reader && !writer.fingerprint().equals(reader.fingerprint())) {
      try {
        resolver = reader.createResolver(writer);
      } catch (err) {
        throw new PermanentMessageError(
          DlqReason.INCOMPATIBLE_SCHEMA,
          `writer schema ${id} cannot be read as ${schema}: ${errorMessage(err)}`,
          { cause: err },
        );
      }
    }
    bySchema.set(id, resolver);
    return resolver;
  }
}
