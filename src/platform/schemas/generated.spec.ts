import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import { generateTypes } from './codegen.js';
import { SCHEMA_TEXTS } from './generated.js';

const root = join(import.meta.dirname, '../../..');
const schemaDir = join(root, 'schemas');
const files = readdirSync(schemaDir)
  .filter((f) => f.endsWith('.avsc'))
  .map((f) => ({ name: f.replace(/\.avsc$/, ''), text: readFileSync(join(schemaDir, f), 'utf8') }));

describe('generated schema types', () => {
  it('are up to date with schemas/*.avsc (run npm run schemas:gen)', () => {
    const committed = readFileSync(join(import.meta.dirname, 'generated.ts'), 'utf8');
    expect(committed).toBe(generateTypes(files));
  });

  it('embed every schema, and every schema parses in avsc', () => {
    expect(Object.keys(SCHEMA_TEXTS).sort()).toEqual(files.map((f) => f.name).sort());
    for (const text of Object.values(SCHEMA_TEXTS)) {
      expect(() => avro.Type.forSchema(JSON.parse(text) as avro.Schema)).not.toThrow();
    }
  });

  it('documents every field and uses namespaces', () => {
    for (const f of files) {
      const schema = JSON.parse(f.text) as {
        namespace?: string;
        fields: Array<{ doc?: string; name: string }>;
      };
      expect(schema.namespace).toMatch(/^io\.streamline\./);
      for (const field of schema.fields)
        expect([f.name, field.name, typeof field.doc]).toEqual([f.name, field.name, 'string']);
    }
  });

  it('rejects a schema that redefines a named type differently', () => {
    const a = {
      name: 'a',
      text: JSON.stringify({ type: 'enum', name: 'E', namespace: 'x', symbols: ['A'] }),
    };
    const b = {
      name: 'b',
      text: JSON.stringify({ type: 'enum', name: 'E', namespace: 'x', symbols: ['B'] }),
    };
    expect(() => generateTypes([a, b])).toThrow(/defined twice/);
  });
});
