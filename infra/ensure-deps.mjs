// Installs npm dependencies when they are missing or older than package-lock.json, so the
// README's two commands work on a fresh clone. Plain Node (no dependencies of its own).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  // `npm install --no-save` installs exactly the versions in package-lock.json without rewriting
  // it. (`npm ci` refuses our lock file: the registry mirror here lacks the other platforms'
  // optional binaries, e.g. @swc/core-darwin-*, so the lock cannot list them.)
  console.log('installing npm dependencies from package-lock.json…');
  const res = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) {
    console.error(`npm install failed with exit code ${res.status}`);
    process.exit(res.status ?? 1);
  }
}
