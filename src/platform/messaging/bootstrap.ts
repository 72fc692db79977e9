import { type Logger } from 'pino';
import { type AvroSerde } from './avro-serde.js';
import { type KafkaClient } from './kafka.js';
import { allTopicSpecs, type TopicSpec } from './topics.js';

/**
 * Several services bootstrap the same catalog at start, so they race: a topic another process is
 * still creating ("does not host this topic-partition"), a subject rule another registration just
 * added ("already exists"). Those settle within moments; retry a few times with backoff. Also
 * for a registry answer that went missing (the client's 10 s timeout): registrations are
 * idempotent.
 */
export async function retryTransient<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const transient =
        /already exists|does not host this topic-partition|leader|not available|ECONN|timeout/i.test(
          message,
        );
      if (!transient || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
    }
  }
}

export interface BootstrapResult {
  readonly created: string[];
  readonly existing: string[];
  readonly schemaIds: Record<string, number>;
}

/**
 * Creates the catalog's topics that do not exist yet (waiting for leaders, since kafkajs
 * consumers fail on topics without one) and registers every value schema under
 * `<topic>-value`. Idempotent: existing topics are left as they are, and registering an
 * unchanged schema returns its existing id.
 */
export async function bootstrapTopics(
  kafka: KafkaClient,
  serde: AvroSerde,
  logger: Logger,
  specs: readonly TopicSpec[] = allTopicSpecs(),
): Promise<BootstrapResult> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existingNames = new Set(await admin.listTopics());
    const missing = specs.filter((s) => !existingNames.has(s.name));
    if (missing.length > 0) {
      await retryTransient(() =>
        admin.createTopics({
          waitForLeaders: true,
          timeout: 30_000,
          topics: missing.map((s) => ({
            topic: s.name,
            numPartitions: s.partitions,
            replicationFactor: -1,
            configEntries: Object.entries(s.config).map(([name, value]) => ({ name, value })),
          })),
        }),
      );
    }
    const schemaIds: Record<string, number> = {};
    for (const spec of specs) {
      schemaIds[spec.name] = await retryTransient(() =>
        serde.registerValueSchema(spec.name, spec.valueSchema),
      );
    }
    const result = {
      created: missing.map((s) => s.name),
      existing: specs.filter((s) => existingNames.has(s.name)).map((s) => s.name),
      schemaIds,
    };
    logger.info(
      { created: result.created, existing: result.existing.length },
      'topics and schemas bootstrapped',
    );
    return result;
  } finally {
    await admin.disconnect();
  }
}
