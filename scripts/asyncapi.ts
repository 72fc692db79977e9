/** Writes docs/asyncapi.yaml (AsyncAPI 3.0 of every topic) from schemas/ (`npm run asyncapi`). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderAsyncApi } from '../src/gateway/asyncapi.js';

const root = join(import.meta.dirname, '..');
const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
};
const out = join(root, 'docs/asyncapi.yaml');
writeFileSync(out, renderAsyncApi({ version }));
console.log(`wrote ${out}`);
