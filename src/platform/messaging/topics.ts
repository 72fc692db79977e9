import { type SchemaName } from '../schemas/generated.js';

/**
 * The topic catalog: every topic the platform reads or writes, with its partitions, settings and
 * value schema. The bootstrap creates exactly these (broker auto-create is off) and registers each
 * value schema under `<topic>-value`. Input topics have a `<topic>.dlq` twin for messages that
 * cannot be processed.
 */
export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly valueSchema: SchemaName;
  /** What the Kafka key holds; it decides which events keep their relative order. */
  readonly key: string;
  /** True for topics a service consumes: they get a `<name>.dlq` twin. */
  readonly consumed: boolean;
  readonly config: Readonly<Record<string, string>>;
  readonly doc: string;
}

const retention = (days: number): Record<string, string> => ({
  'retention.ms': String(days * 24 * 3600 * 1000),
  'cleanup.policy': 'delete',
});

export const TOPICS = {
  transfersRequested: {
    name: 'transactions.requested',
    partitions: 6,
    valueSchema: 'transfer-requested',
    key: 'transferId',
    consumed: true,
    config: retention(7),
    doc: 'Transfer requests from upstream systems; consumed by the ledger.',
  },
  transferPosted: {
    name: 'ledger.transfer-posted',
    partitions: 6,
    valueSchema: 'transfer-posted',
    key: 'transferId',
    consumed: false,
    config: retention(30),
    doc: 'Transfers the ledger posted (or reserved, voided, expired); via the outbox.',
  },
  transferRejected: {
    name: 'ledger.transfer-rejected',
    partitions: 6,
    valueSchema: 'transfer-rejected',
    key: 'transferId',
    consumed: false,
    config: retention(30),
    doc: 'Transfer requests the ledger refused, with a result code; via the outbox.',
  },
  logLines: {
    name: 'logs.lines',
    partitions: 6,
    valueSchema: 'log-line',
    key: 'source',
    consumed: true,
    config: retention(3),
    doc: 'Log lines shipped by upstream systems; consumed by alerting.',
  },
  alertEvents: {
    name: 'alerts.events',
    partitions: 3,
    valueSchema: 'alert-event',
    key: 'fingerprint',
    consumed: true,
    config: retention(30),
    doc: 'Alert state changes (firing/resolved) from alerting, via its outbox; consumed by the notifier.',
  },
  commentsSubmitted: {
    name: 'comments.submitted',
    partitions: 6,
    valueSchema: 'comment-submitted',
    key: 'commentId',
    consumed: true,
    config: retention(7),
    doc: 'Text comments to analyse; consumed by sentiment.',
  },
  commentsAnalyzed: {
    name: 'comments.analyzed',
    partitions: 6,
    valueSchema: 'comment-analyzed',
    key: 'commentId',
    consumed: false,
    config: retention(30),
    doc: 'Sentiment analyses of comments.',
  },
} as const satisfies Record<string, TopicSpec>;

export type TopicKey = keyof typeof TOPICS;

/** Name of the dead-letter twin of a consumed topic. */
export function dlqTopicName(topic: string): string {
  return `${topic}.dlq`;
}

/**
 * Physical topic name for a catalog name. A prefix (config `KAFKA_TOPIC_PREFIX`) lets several
 * environments or test runs share one cluster; code and outbox rows always use catalog names.
 */
export function physicalTopic(name: string, prefix: string): string {
  return prefix === '' || name.startsWith(prefix) ? name : `${prefix}${name}`;
}

/** Every topic to create: the catalog plus a DLQ twin (dead-letter schema) per consumed topic. */
export function allTopicSpecs(prefix = ''): TopicSpec[] {
  const specs: TopicSpec[] = [];
  for (const catalogSpec of Object.values(TOPICS) as TopicSpec[]) {
    const spec = { ...catalogSpec, name: physicalTopic(catalogSpec.name, prefix) };
    specs.push(spec);
    if (spec.consumed) {
      specs.push({
        name: dlqTopicName(spec.name),
        partitions: 1,
        valueSchema: 'dead-letter',
        key: 'original key',
        consumed: false,
        config: retention(30),
        doc: `Messages from ${spec.name} that could not be processed, with the reason.`,
      });
    }
  }
  return specs;
}

/** The catalog entry whose physical name is `topic` (given the prefix), if any. */
export function topicSpecByName(topic: string, prefix = ''): TopicSpec | undefined {
  return allTopicSpecs(prefix).find((s) => s.name === topic);
}

/** Subject under which a topic's value schema is registered (Confluent TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}
