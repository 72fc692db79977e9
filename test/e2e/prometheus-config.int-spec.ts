import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';

const run = promisify(execFile);
const root = join(import.meta.dirname, '../..');

/** Runs a tool from the Debian prometheus / prometheus-alertmanager packages (the stack installs them). */
async function tool(cmd: string, args: string[], { stdoutOnly = false } = {}): Promise<string> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd: root, timeout: 60_000 });
    return stdoutOnly ? stdout : `${stdout}${stderr}`;
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') {
      throw new Error(`${cmd} not found: run npm run stack:up (it installs the Debian packages)`);
    }
    throw new Error(`${cmd} ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

const ruleFiles = readdirSync(join(root, 'prometheus/rules'))
  .filter((f) => f.endsWith('.yml'))
  .map((f) => `prometheus/rules/${f}`);
const ruleTests = [
  ...readdirSync(join(root, 'prometheus/tests'))
    .filter((f) => f.endsWith('.test.yml'))
    .map((f) => `prometheus/tests/${f}`),
  ...readdirSync(join(root, 'infra/prometheus'))
    .filter((f) => f.endsWith('.test.yml'))
    .map((f) => `infra/prometheus/${f}`),
];

interface RuleFile {
  groups: Array<{
    name: string;
    rules: Array<{
      alert?: string;
      record?: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    }>;
  }>;
}

describe('Prometheus and Alertmanager configuration (promtool, amtool)', () => {
  it('promtool check config accepts prometheus/prometheus.yml and its rule files', async () => {
    const out = await tool('promtool', ['check', 'config', 'prometheus/prometheus.yml']);
    expect(out).toMatch(/SUCCESS: prometheus\/prometheus.yml is valid/);
  });

  it('promtool check rules accepts every rule file', async () => {
    expect(ruleFiles.length).toBeGreaterThanOrEqual(2);
    const out = await tool('promtool', ['check', 'rules', ...ruleFiles]);
    expect(out.match(/SUCCESS/g)).toHaveLength(ruleFiles.length);
  });

  it('promtool test rules passes every rule unit test', async () => {
    expect(ruleTests.length).toBeGreaterThanOrEqual(2);
    const out = await tool('promtool', ['test', 'rules', ...ruleTests]);
    expect(out).not.toMatch(/FAILED/);
    expect(out.match(/SUCCESS/g)).toHaveLength(ruleTests.length);
  });

  it('every alert of the rule files has a unit test, a severity, team=platform and a runbook that exists', () => {
    const tested = new Set<string>();
    for (const file of ruleTests) {
      for (const m of readFileSync(join(root, file), 'utf8').matchAll(/alertname:\s*(\S+)/g)) {
        tested.add(m[1] ?? '');
      }
    }
    const readme = readFileSync(join(root, 'prometheus/README.md'), 'utf8');
    const anchors = new Set(
      [...readme.matchAll(/^#{2,4}\s+(.+)$/gm)].map((m) =>
        (m[1] ?? '')
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    const problems: string[] = [];
    for (const file of ruleFiles) {
      const parsed = parse(readFileSync(join(root, file), 'utf8')) as RuleFile;
      for (const group of parsed.groups) {
        for (const rule of group.rules) {
          if (!rule.alert) continue;
          const where = `${file} ${rule.alert}`;
          if (!tested.has(rule.alert)) problems.push(`${where}: no promtool test`);
          if (!['critical', 'warning'].includes(rule.labels?.severity ?? ''))
            problems.push(`${where}: severity must be critical or warning`);
          if (rule.labels?.team !== 'platform') problems.push(`${where}: team label missing`);
          if (!rule.annotations?.summary) problems.push(`${where}: no summary`);
          const runbook = rule.annotations?.runbook;
          if (runbook !== undefined) {
            const anchor = runbook.split('#')[1] ?? '';
            if (!anchors.has(anchor)) problems.push(`${where}: runbook anchor #${anchor} missing`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('amtool check-config accepts prometheus/alertmanager.yml', async () => {
    const out = await tool('amtool', ['check-config', 'prometheus/alertmanager.yml']);
    expect(out).toMatch(/SUCCESS/);
  });

  it.each([
    [
      'a critical platform alert',
      'platform-operators',
      ['alertname=ConsumerDown', 'team=platform', 'severity=critical'],
    ],
    [
      'a warning platform alert',
      'platform-operators',
      ['alertname=DeadLettersGrowing', 'team=platform', 'severity=warning'],
    ],
    // Forwarded by the notifier itself: routing it back to the notifier would loop.
    [
      'an application (log rule) alert',
      'console',
      ['alertname=openssh-failed-password-burst', 'severity=high'],
    ],
  ])('routes %s to %s', async (_what, receiver, labels) => {
    const out = await tool(
      'amtool',
      ['config', 'routes', 'test', '--config.file=prometheus/alertmanager.yml', ...labels],
      { stdoutOnly: true },
    );
    expect(out.trim()).toBe(receiver);
  });
});
