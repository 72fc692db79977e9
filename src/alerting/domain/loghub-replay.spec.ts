import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AlertEngine } from './alert-engine.js';
import { type AlertRecord } from './lifecycle/alert-lifecycle.js';
import { type LoghubSystem, parseLoghubText } from './loghub.js';
import { loadRulesYaml } from './rules/rule-loader.js';

/**
 * Evaluation against real data: replays loghub samples through the engine with the rule
 * set written for them and compares with the independently derived expectations in
 * test/fixtures/loghub-expected.json. The samples live outside the project
 * (../shared/eval-data/loghub, or EVAL_DATA_DIR); without them this suite is skipped.
 */
const root = join(import.meta.dirname, '../../..');
const dataDir = process.env['EVAL_DATA_DIR']
  ? join(process.env['EVAL_DATA_DIR'], 'loghub')
  : join(root, '../shared/eval-data/loghub');
const available = existsSync(join(dataDir, 'OpenSSH_2k.log'));
if (!available) console.warn(`loghub replay skipped: no samples in ${dataDir} (set EVAL_DATA_DIR)`);

interface Expected {
  groupKey: string;
  episodes: number;
  matchCounts: number[];
  firingAtEnd: boolean;
}
interface Fixture {
  files: Record<string, { system: LoghubSystem; expected: Record<string, Expected[]> }>;
}

const fixture = JSON.parse(
  readFileSync(join(root, 'test/fixtures/loghub-expected.json'), 'utf8'),
) as Fixture;
const rules = loadRulesYaml(readFileSync(join(root, 'test/fixtures/loghub-rules.yaml'), 'utf8'));

(available ? describe : describe.skip)('loghub replay raises exactly the expected alerts', () => {
  it('loads the loghub rule set', () => {
    expect(rules.ok).toBe(true);
  });

  it.each(Object.entries(fixture.files))('%s', (file, { system, expected }) => {
    if (!rules.ok) throw new Error('rules');
    const lines = parseLoghubText(system, readFileSync(join(dataDir, file), 'utf8'));
    const engine = new AlertEngine(rules.value);
    const outs = [engine.process(lines), engine.tick(Math.max(...lines.map((l) => l.timestamp)))];
    const records = new Map<string, AlertRecord>();
    const firstFiring = new Map<string, string[]>();
    for (const out of outs) {
      for (const ev of out.events) {
        if (ev.status !== 'FIRING') continue;
        const key = `${ev.ruleId} ${ev.groupKey}`;
        const ids = firstFiring.get(key) ?? [];
        if (!ids.includes(ev.alertId)) ids.push(ev.alertId);
        firstFiring.set(key, ids);
      }
      for (const r of out.alerts) records.set(r.alertId, r);
    }
    const actual: Record<string, Expected[]> = {};
    for (const [key, ids] of firstFiring) {
      const [ruleId, ...rest] = key.split(' ');
      const finals = ids.map((id) => records.get(id)!);
      (actual[ruleId!] ??= []).push({
        groupKey: rest.join(' '),
        episodes: ids.length,
        matchCounts: finals.map((r) => r.matchCount),
        firingAtEnd: finals[finals.length - 1]!.status === 'firing',
      });
    }
    const sort = (m: Record<string, Expected[]>): Record<string, Expected[]> =>
      Object.fromEntries(
        Object.entries(m).map(([k, v]) => [
          k,
          [...v].sort((a, b) => (a.groupKey < b.groupKey ? -1 : 1)),
        ]),
      );
    expect(sort(actual)).toEqual(sort(expected));
  });
});
