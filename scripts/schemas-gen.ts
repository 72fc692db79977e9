/** Regenerates src/platform/schemas/generated.ts from schemas/*.avsc (`npm run schemas:gen`). */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTypes } from '../src/platform/schemas/codegen.js';

const root = join(import.meta.dirname, '..');
const dir = join(root, 'schemas');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.avsc'))
  .map((f) => ({ name: f.replace(/\.avsc$/, ''), text: readFileSync(join(dir, f), 'utf8') }));
const out = join(root, 'src/platform/schemas/generated.ts');
writeFileSync(out, generateTypes(files));
console.log(`wrote ${out} from ${files.length} schemas`);
