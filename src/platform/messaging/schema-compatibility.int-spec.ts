import { SCHEMA_TEXTS } from '../schemas/generated.js';
import { uniqueName } from '../../../test/support/kafka.js';
import { AvroSerde } from './avro-serde.js';
import { loadMessagingConfig } from './kafka.js';

/**
 * The registry is the contract's referee: with global BACKWARD compatibility it must refuse a
 * change that breaks readers and accept one that does not. Checked against the real registry
 * through the same client library the services use.
 */
describe('schema registry compatibility (real registry)', () => {
  const serde = AvroSerde.fromConfig(loadMessagingConfig(process.env, 'compat-test'));
  const base = JSON.parse(SCHEMA_TEXTS['log-line']) as { fields: Array<Record<string, unknown>> };

  async function register(subject: string, schema: unknown): Promise<number> {
    const { id } = await serde.registry.register(
      { type: 'AVRO' as never, schema: JSON.stringify(schema) },
      { subject },
    );
    return id;
  }

  it('runs with BACKWARD as the global compatibility level', async () => {
    const url = process.env.SCHEMA_REGISTRY_URL ?? 'http://127.0.0.1:8081/apis/ccompat/v7';
    const body = (await (await fetch(`${url}/config`)).json()) as { compatibilityLevel: string };
    expect(body.compatibilityLevel).toBe('BACKWARD');
  });

  it('accepts a compatible change (new optional field with a default)', async () => {
    const subject = `${uniqueName('compat')}-value`;
    const v1 = await register(subject, base);
    const v2 = await register(subject, {
      ...base,
      fields: [
        ...base.fields,
        { name: 'region', type: ['null', 'string'], default: null, doc: 'Region.' },
      ],
    });
    expect(v2).not.toBe(v1);
  });

  it('rejects an incompatible change (new required field) and a changed field type', async () => {
    const subject = `${uniqueName('compat')}-value`;
    await register(subject, base);
    await expect(
      register(subject, {
        ...base,
        fields: [...base.fields, { name: 'tenant', type: 'string', doc: 'Tenant.' }],
      }),
    ).rejects.toThrow(/409|incompatible|compatib/i);
    await expect(
      register(subject, {
        ...base,
        fields: base.fields.map((f) => (f.name === 'message' ? { ...f, type: 'int' } : f)),
      }),
    ).rejects.toThrow(/409|incompatible|compatib/i);
  });
});
