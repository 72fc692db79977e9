/**
 * `npm run dashboards` — regenerates grafana/dashboards/*.json from scripts/dashboards/.
 * `npm run dashboards -- --check` only compares, and exits 1 when a committed file is stale.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { renderDashboards } from './dashboards/index.js';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });
const dir = join(import.meta.dirname, '../grafana/dashboards');
const rendered = renderDashboards();
const stale: string[] = [];

mkdirSync(dir, { recursive: true });
for (const [file, text] of rendered) {
  const path = join(dir, file);
  const current = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (current === text) continue;
  stale.push(file);
  if (!values.check) writeFileSync(path, text);
}
// A dashboard removed from the code must not linger in Grafana.
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && !rendered.has(f))) {
  stale.push(`${file} (no longer generated)`);
  if (!values.check) rmSync(join(dir, file));
}

if (values.check) {
  if (stale.length > 0) {
    console.error(`stale dashboards (run npm run dashboards): ${stale.join(', ')}`);
    process.exit(1);
  }
  console.log(`${rendered.size} dashboards up to date`);
} else {
  console.log(
    `${rendered.size} dashboards in grafana/dashboards/ (${stale.length === 0 ? 'unchanged' : `written: ${stale.join(', ')}`})`,
  );
}
