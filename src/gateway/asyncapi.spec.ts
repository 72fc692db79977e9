import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { allTopicSpecs } from '../platform/messaging/topics.js';
import { SCHEMA_TEXTS } from '../platform/schemas/generated.js';
import { buildAsyncApi, renderAsyncApi } from './asyncapi.js';

const root = join(import.meta.dirname, '../..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
};

describe('AsyncAPI document', () => {
  it('docs/asyncapi.yaml is current (run npm run asyncapi)', () => {
    const committed = readFileSync(join(root, 'docs/asyncapi.yaml'), 'utf8');
    expect(committed).toBe(renderAsyncApi({ version }));
  });

  it('has a channel for every topic (DLQs included) and every schema as an Avro payload', () => {
    const doc = buildAsyncApi({ version }) as {
      asyncapi: string;
      channels: Record<string, { address: string; messages: Record<string, { $ref: string }> }>;
      operations: Record<string, { action: string; channel: { $ref: string } }>;
      components: { schemas: Record<string, { schemaFormat: string; schema: unknown }> };
    };
    expect(doc.asyncapi).toBe('3.0.0');
    const addresses = Object.values(doc.channels)
      .map((c) => c.address)
      .sort();
    expect(addresses).toEqual(
      allTopicSpecs('')
        .map((s) => s.name)
        .sort(),
    );
    expect(Object.keys(doc.operations)).toHaveLength(addresses.length);
    const payloads = Object.values(doc.components.schemas);
    expect(payloads).toHaveLength(Object.keys(SCHEMA_TEXTS).length);
    for (const p of payloads)
      expect(p.schemaFormat).toMatch(/^application\/vnd\.apache\.avro\+json/);
    // Every $ref resolves.
    const yamlDoc = parse(renderAsyncApi({ version })) as Record<string, unknown>;
    const refs = JSON.stringify(yamlDoc).match(/"\$ref":"#\/[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      const path = ref.slice(10, -1).split('/');
      let node: unknown = yamlDoc;
      for (const part of path) node = (node as Record<string, unknown>)[part];
      expect([ref, node === undefined]).toEqual([ref, false]);
    }
  });

  it('marks the topics the platform consumes as receive operations', () => {
    const doc = buildAsyncApi({ version }) as {
      operations: Record<string, { action: string; channel: { $ref: string } }>;
    };
    const receive = Object.values(doc.operations)
      .filter((o) => o.action === 'receive')
      .map((o) => o.channel.$ref);
    expect(receive).toContain('#/channels/transactionsRequested');
    expect(receive).toContain('#/channels/logsLines');
    expect(receive).toContain('#/channels/commentsSubmitted');
  });
});
