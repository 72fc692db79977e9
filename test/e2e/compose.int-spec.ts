import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');

interface Compose {
  services: Record<
    string,
    { image?: string; build?: unknown; command?: string[]; environment?: Record<string, unknown> }
  >;
}

/**
 * docker-compose.yml describes the same topology with official images. No Docker engine runs
 * here, so it is checked with Debian's `docker-compose config` and against the repository.
 */
describe('docker-compose.yml', () => {
  it('is valid for docker-compose', async () => {
    const { stdout } = await run('docker-compose', [
      '-f',
      join(root, 'docker-compose.yml'),
      'config',
    ]);
    expect(stdout).toContain('schema-registry');
  });

  it('runs every service from a built entry point and the official infrastructure images', () => {
    const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as Compose;
    const images = Object.values(compose.services).map((s) => s.image ?? '');
    expect(images).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^apache\/kafka:3\.9\./),
        expect.stringMatching(/^confluentinc\/cp-schema-registry:/),
        expect.stringMatching(/^postgres:/),
        expect.stringMatching(/^prom\/prometheus:/),
        expect.stringMatching(/^prom\/alertmanager:/),
        expect.stringMatching(/^grafana\/grafana:/),
      ]),
    );
    for (const name of ['gateway', 'ledger', 'alerting', 'notifier', 'sentiment']) {
      const svc = compose.services[name];
      // Runtime flags as the demo uses them (scripts/demo.ts NODE_FLAGS).
      const flags = name === 'alerting' ? ['--max-semi-space-size=64'] : [];
      expect(svc?.command).toEqual(['node', ...flags, `dist/src/${name}/main.js`]);
      expect(existsSync(join(root, `dist/src/${name}/main.js`))).toBe(true);
    }
    expect(compose.services.bootstrap?.command).toEqual(['node', 'dist/scripts/bootstrap.js']);
    expect(existsSync(join(root, 'dist/scripts/bootstrap.js'))).toBe(true);
  });

  it('mounts Grafana provisioning and a Prometheus config in step with the local one', () => {
    expect(existsSync(join(root, 'grafana/provisioning'))).toBe(true);
    const local = readFileSync(join(root, 'prometheus/prometheus.yml'), 'utf8');
    const docker = readFileSync(join(root, 'prometheus/prometheus.docker.yml'), 'utf8');
    const strip = (text: string): unknown => {
      const doc = parse(text) as Record<string, unknown>;
      return JSON.parse(
        JSON.stringify(doc)
          .replace(/127\.0\.0\.1:19093/g, 'alertmanager:9093')
          .replace(
            /127\.0\.0\.1:(\d+)/g,
            (_m, port: string) =>
              `${{ 3000: 'gateway', 3001: 'ledger', 3002: 'alerting', 3003: 'notifier', 3004: 'sentiment' }[Number(port)] ?? 'unknown'}:${port}`,
          ),
      );
    };
    expect(strip(docker)).toEqual(strip(local));
  });
});
