/**
 * AsyncAPI 3.0 document of every Kafka topic of the platform, generated from the topic catalog
 * (`src/platform/messaging/topics.ts`) and the Avro schemas in `schemas/` — for teams that
 * publish to or consume from Kafka directly instead of through the HTTP gateway. Pure: the
 * script `npm run asyncapi` writes the result to `docs/asyncapi.yaml`, and a unit test fails
 * when the committed file is stale.
 *
 * Payloads are the Avro schemas themselves (AsyncAPI multi-format schema,
 * `application/vnd.apache.avro+json;version=1.9.0`), framed on the wire in the Confluent format
 * (magic byte 0, 4-byte schema id, Avro body), value subject `<topic>-value` (TopicNameStrategy).
 * Operations are written from the platform's point of view: it `receive`s on the topics its
 * services consume (that is where an external producer sends) and `send`s on the others.
 */
import { stringify } from 'yaml';
import { allTopicSpecs, type TopicSpec } from '../platform/messaging/topics.js';
import { SCHEMA_TEXTS, type SchemaName } from '../platform/schemas/generated.js';

const AVRO_FORMAT = 'application/vnd.apache.avro+json;version=1.9.0';
const KAFKA_BINDING_VERSION = '0.5.0';

function camel(text: string): string {
  return text
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() : w.charAt(0).toUpperCase()) + w.slice(1))
    .join('');
}

function messageName(schema: SchemaName): string {
  const parsed = JSON.parse(SCHEMA_TEXTS[schema]) as { name: string };
  return parsed.name;
}

function topicConfiguration(spec: TopicSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const retention = spec.config['retention.ms'];
  if (retention !== undefined) out['retention.ms'] = Number(retention);
  const cleanup = spec.config['cleanup.policy'];
  if (cleanup !== undefined) out['cleanup.policy'] = cleanup.split(',');
  return out;
}

export interface AsyncApiOptions {
  readonly version: string;
  readonly brokers?: string;
  readonly registryUrl?: string;
}

/** Optional Kafka headers every stream carries on: W3C trace context (README, Tracing). */
const TRACE_HEADERS = {
  type: 'object',
  properties: {
    traceparent: {
      type: 'string',
      description:
        'W3C trace context of the event that caused this one (`00-<trace id>-<span id>-<flags>`); ' +
        'consumers copy it to the events they emit, so one trace id follows a request end to end.',
      pattern: '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$',
    },
    tracestate: {
      type: 'string',
      description: 'W3C tracestate, carried along with traceparent.',
    },
  },
} as const;

export function buildAsyncApi(options: AsyncApiOptions): Record<string, unknown> {
  const specs = allTopicSpecs('');
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  const consumedByPlatform = new Set(specs.filter((s) => s.consumed).map((s) => s.name));

  for (const schema of Object.keys(SCHEMA_TEXTS).sort() as SchemaName[]) {
    const name = messageName(schema);
    const avro = JSON.parse(SCHEMA_TEXTS[schema]) as { doc?: string };
    schemas[name] = { schemaFormat: AVRO_FORMAT, schema: avro };
    messages[name] = {
      name,
      title: name,
      summary: avro.doc,
      contentType: 'application/octet-stream',
      payload: { $ref: `#/components/schemas/${name}` },
      headers: TRACE_HEADERS,
      bindings: {
        kafka: {
          key: { type: 'string' },
          schemaIdLocation: 'payload',
          schemaIdPayloadEncoding: 'confluent',
          bindingVersion: KAFKA_BINDING_VERSION,
        },
      },
    };
  }

  for (const spec of specs) {
    const id = camel(spec.name);
    const message = messageName(spec.valueSchema);
    channels[id] = {
      address: spec.name,
      title: spec.name,
      description: `${spec.doc} Kafka key: ${spec.key}. Value subject: ${spec.name}-value.`,
      messages: { [message]: { $ref: `#/components/messages/${message}` } },
      bindings: {
        kafka: {
          topic: spec.name,
          partitions: spec.partitions,
          topicConfiguration: topicConfiguration(spec),
          bindingVersion: KAFKA_BINDING_VERSION,
        },
      },
    };
    const receive = consumedByPlatform.has(spec.name);
    operations[`${receive ? 'receive' : 'send'}${id.charAt(0).toUpperCase()}${id.slice(1)}`] = {
      action: receive ? 'receive' : 'send',
      channel: { $ref: `#/channels/${id}` },
      summary: receive
        ? `The platform consumes ${spec.name}; upstream systems publish here (or through the HTTP gateway).`
        : `The platform publishes ${spec.name}; downstream systems may consume it.`,
      messages: [{ $ref: `#/channels/${id}/messages/${message}` }],
    };
  }

  return {
    asyncapi: '3.0.0',
    id: 'urn:io.streamline:platform',
    info: {
      title: 'Streamline event streams',
      version: options.version,
      description: [
        'Every Kafka topic of the Streamline platform, generated from `schemas/*.avsc` and the topic',
        'catalog by `npm run asyncapi` (do not edit by hand).',
        '',
        'Values are Avro in the Confluent wire format: byte 0 = 0, bytes 1-4 = the schema id',
        '(big-endian) in the schema registry, then the Avro binary body. Register or look up the',
        'value schema under the subject `<topic>-value`; the registry enforces compatibility.',
        'Keys are UTF-8 strings (the field named in each channel) and decide ordering.',
        'Deployments may prefix every topic name (`KAFKA_TOPIC_PREFIX`), e.g. `staging.`.',
        'Topics ending in `.dlq` hold messages a consumer could not process (DeadLetter).',
        'Producers must use acks=all; consumers must be idempotent on `eventId` (at-least-once).',
      ].join('\n'),
    },
    defaultContentType: 'application/octet-stream',
    servers: {
      local: {
        host: options.brokers ?? '127.0.0.1:9092',
        protocol: 'kafka',
        description:
          'Local development broker (infra/stack.sh). Production: SASL_SSL, see docs/security.md.',
        bindings: {
          kafka: {
            schemaRegistryUrl: options.registryUrl ?? 'http://127.0.0.1:8081/apis/ccompat/v7',
            schemaRegistryVendor: 'confluent',
            bindingVersion: KAFKA_BINDING_VERSION,
          },
        },
      },
    },
    channels,
    operations,
    components: { schemas, messages },
  };
}

export function renderAsyncApi(options: AsyncApiOptions): string {
  return `# GENERATED by \`npm run asyncapi\` from schemas/*.avsc and the topic catalog — do not edit.\n${stringify(
    buildAsyncApi(options),
    { lineWidth: 0, aliasDuplicateObjects: false, singleQuote: true },
  )}`;
}
