/** Creates every catalog topic (with DLQ twins) and registers the value schemas: `npm run bootstrap`. */
import { rootLogger } from '../src/platform/logging/logger.js';
import { AvroSerde } from '../src/platform/messaging/avro-serde.js';
import { bootstrapTopics } from '../src/platform/messaging/bootstrap.js';
import { createKafka, loadMessagingConfig } from '../src/platform/messaging/kafka.js';

const config = loadMessagingConfig(process.env, 'streamline-bootstrap');
const result = await bootstrapTopics(
  createKafka(config),
  AvroSerde.fromConfig(config),
  rootLogger(),
);
console.log(
  `topics: ${result.created.length} created, ${result.existing.length} existing; schemas: ${Object.keys(result.schemaIds).length} registered`,
);
