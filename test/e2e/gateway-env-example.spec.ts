import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `.env.example` documents every environment variable read under src/ (env readers of
 * `src/platform/config/env.ts` and direct `process.env` reads, tests and benches excluded) and
 * holds no secret values.
 */
const root = join(import.meta.dirname, '../..');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (/\.ts$/.test(name) && !/\.(spec|int-spec|bench)\.ts$/.test(name)) out.push(path);
  }
  return out;
}

const READERS = [
  /env(?:Int|String|Optional|Bool|List|Url)\(\s*[\w.]+\s*,\s*'([A-Z][A-Z0-9_]+)'/g,
  /process\.env\.([A-Z][A-Z0-9_]+)/g,
  /process\.env\[['"]([A-Z][A-Z0-9_]+)['"]\]/g,
];

describe('.env.example', () => {
  const example = readFileSync(join(root, '.env.example'), 'utf8');
  const documented = new Set(
    [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1] as string),
  );

  it('documents every environment variable read in src/', () => {
    const read = new Set<string>();
    for (const file of sources(join(root, 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const re of READERS) for (const m of text.matchAll(re)) read.add(m[1] as string);
    }
    expect(read.size).toBeGreaterThan(20);
    expect([...read].filter((name) => !documented.has(name)).sort()).toEqual([]);
  });

  it('holds no secret values', () => {
    for (const name of documented) {
      if (!/SECRET|PASSWORD|TOKEN|KEY$/.test(name)) continue;
      const line = example.match(new RegExp(`^#?\\s*${name}=(.*)$`, 'm'));
      expect([name, line?.[1] ?? '']).toEqual([name, '']);
    }
  });
});
