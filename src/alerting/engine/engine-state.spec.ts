import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LogLine } from '../../platform/schemas/generated.js';
import {
  AlertEngine,
  type AlertRecord,
  type CompiledRuleSet,
  type EngineOutput,
  loadRulesYaml,
  LOGHUB_FILES,
  type LoghubSystem,
  parseLoghubText,
} from '../domain/index.js';
import { line, MIN, ruleSet, SEC, T0 } from '../domain/testing/rule-fixtures.js';
import {
  assembleSnapshot,
  EMPTY_META,
  type EngineMeta,
  EngineStateTracker,
  mergeChangedAlerts,
  offsetsOf,
} from './engine-state.js';

/** A stand-in for the three tables: meta, rule states, alerts (by alertId). */
interface Db {
  meta: EngineMeta;
  rules: Map<string, string>;
  alerts: Map<string, AlertRecord>;
}

function commit(
  db: Db,
  tracker: EngineStateTracker,
  engine: AlertEngine,
  outs: EngineOutput[],
  offsets: Map<number, string>,
): void {
  const w = tracker.capture(engine, offsets);
  db.meta = w.meta;
  for (const [id, json] of w.ruleUpserts) db.rules.set(id, json);
  for (const id of w.ruleDeletes) db.rules.delete(id);
  for (const a of mergeChangedAlerts(outs.map((o) => o.alerts))) db.alerts.set(a.alertId, a);
}

function restore(db: Db, rules: CompiledRuleSet): AlertEngine {
  const firing = [...db.alerts.values()].filter((a) => a.status === 'firing');
  // Through JSON, as PostgreSQL would hand the rows back.
  const snap = JSON.parse(
    JSON.stringify(assembleSnapshot(db.meta, db.rules, firing)),
  ) as ReturnType<typeof assembleSnapshot>;
  return new AlertEngine(rules, {}, snap);
}

/**
 * Runs `lines` in chunks, persisting after each, and restarts the engine from the persisted
 * rows every `restartEvery` chunks; returns all events and the final alert rows.
 */
function runPersisted(
  rules: CompiledRuleSet,
  lines: LogLine[],
  chunk: number,
  restartEvery: number,
  tickAt: number,
) {
  const db: Db = { meta: EMPTY_META, rules: new Map(), alerts: new Map() };
  let engine = new AlertEngine(rules);
  let tracker = new EngineStateTracker();
  const events: string[] = [];
  const offsets = new Map<number, string>();
  for (let i = 0, n = 0; i < lines.length; i += chunk, n++) {
    const out = engine.process(lines.slice(i, i + chunk));
    events.push(
      ...out.events.map(
        (e) => `${e.eventId} ${e.status} ${e.ruleId} ${e.groupKey} ${e.matchCount}`,
      ),
    );
    offsets.set(0, String(i + chunk - 1));
    commit(db, tracker, engine, [out], offsets);
    if (n % restartEvery === restartEvery - 1) {
      engine = restore(db, rules);
      tracker = new EngineStateTracker(db.rules);
      expect(offsetsOf(db.meta).get(0)).toBe(String(i + chunk - 1));
    }
  }
  const out = engine.tick(tickAt);
  events.push(
    ...out.events.map((e) => `${e.eventId} ${e.status} ${e.ruleId} ${e.groupKey} ${e.matchCount}`),
  );
  commit(db, tracker, engine, [out], offsets);
  return { events, alerts: db.alerts };
}

function runStraight(rules: CompiledRuleSet, lines: LogLine[], tickAt: number) {
  const engine = new AlertEngine(rules);
  const outs = [engine.process(lines), engine.tick(tickAt)];
  const alerts = new Map<string, AlertRecord>();
  for (const a of mergeChangedAlerts(outs.map((o) => o.alerts))) alerts.set(a.alertId, a);
  return {
    events: outs.flatMap((o) =>
      o.events.map((e) => `${e.eventId} ${e.status} ${e.ruleId} ${e.groupKey} ${e.matchCount}`),
    ),
    alerts,
  };
}

describe('engine state persistence (meta + changed rule states + alert rows)', () => {
  const rules = ruleSet(
    {
      id: 'oom',
      type: 'pattern',
      match: { keywords: ['out of memory'] },
      group_by: ['host'],
      resolve_after: '2m',
      realert: '1m',
    },
    {
      id: 'burst',
      type: 'frequency',
      match: { keywords: ['refused'] },
      threshold: 3,
      timeframe: '1m',
      group_by: ['host'],
    },
    {
      id: 'users',
      type: 'new_term',
      match: { regex: 'user=(?<user>\\w+)' },
      term_fields: ['fields.user'],
    },
    {
      id: 'quiet',
      type: 'flatline',
      match: { where: { source: 'app' } },
      timeframe: '3m',
      group_by: ['source'],
    },
    {
      id: 'errs',
      type: 'spike',
      match: { level_at_least: 'ERROR' },
      timeframe: '1m',
      spike_ratio: 3,
      min_count: 5,
    },
  );
  const lines: LogLine[] = [];
  for (let i = 0; i < 600; i++) {
    const at = T0 + i * 7 * SEC + (i > 300 ? 5 * MIN : 0);
    const host = `h${i % 3}`;
    const msg =
      i % 17 === 0
        ? 'out of memory'
        : i % 5 === 0
          ? 'connection refused'
          : i % 23 === 0
            ? `login user=u${i % 40}`
            : 'ok';
    lines.push(line(at, msg, { host, level: i > 450 && i % 2 === 0 ? 'ERROR' : 'INFO' }));
  }
  const end = lines[lines.length - 1]!.timestamp + 10 * MIN;

  it.each([
    [50, 1],
    [64, 3],
    [1000, 1],
  ])(
    'chunks of %i lines, restart every %i chunk(s): same events and alert rows as one run',
    (chunk, every) => {
      const straight = runStraight(rules, lines, end);
      const persisted = runPersisted(rules, lines, chunk, every, end);
      expect(straight.events.length).toBeGreaterThan(10);
      expect(persisted.events).toEqual(straight.events);
      expect([...persisted.alerts.values()]).toEqual(
        expect.arrayContaining([...straight.alerts.values()]),
      );
      expect(persisted.alerts.size).toBe(straight.alerts.size);
    },
  );

  it('writes only the rule states that changed', () => {
    const engine = new AlertEngine(rules);
    const tracker = new EngineStateTracker();
    const offsets = new Map([[2, '41']]);
    const first = tracker.capture(engine, offsets);
    expect(first.ruleUpserts.map(([id]) => id).sort()).toEqual([
      'burst',
      'errs',
      'oom',
      'quiet',
      'users',
    ]);
    expect(first.meta.offsets).toEqual({ '2': '41' });
    expect(tracker.capture(engine, offsets).ruleUpserts).toEqual([]);
    engine.process([line(T0, 'nothing to see')]); // every rule starts observing: all change
    expect(tracker.capture(engine, offsets).ruleUpserts).toHaveLength(5);
    engine.process([line(T0 + 100, 'login user=zed')]);
    const third = tracker.capture(engine, offsets).ruleUpserts.map(([id]) => id);
    expect(third).toContain('users');
    expect(third).not.toContain('oom');
  });

  it('incremental rule states always add up to the full snapshot', () => {
    const engine = new AlertEngine(rules);
    const tracker = new EngineStateTracker();
    const rows = new Map<string, string>();
    for (let i = 0; i < lines.length; i += 37) {
      engine.process(lines.slice(i, i + 37));
      if (i % 5 === 0) engine.tick(lines[Math.min(lines.length - 1, i + 36)]!.timestamp + 30 * SEC);
      const w = tracker.capture(engine, new Map());
      for (const [id, json] of w.ruleUpserts) rows.set(id, json);
      for (const id of w.ruleDeletes) rows.delete(id);
      const full = engine.snapshot().rules;
      expect(
        Object.fromEntries([...rows].map(([id, json]) => [id, JSON.parse(json) as unknown])),
      ).toEqual(JSON.parse(JSON.stringify(full)));
    }
  });

  it('drops the state rows of rules that are gone', () => {
    const engine = new AlertEngine(rules);
    const tracker = new EngineStateTracker();
    tracker.capture(engine, new Map());
    engine.setRules(
      ruleSet({
        id: 'oom',
        type: 'pattern',
        match: { keywords: ['out of memory'] },
        group_by: ['host'],
        resolve_after: '2m',
        realert: '1m',
      }),
    );
    expect([...tracker.capture(engine, new Map()).ruleDeletes].sort()).toEqual([
      'burst',
      'errs',
      'quiet',
      'users',
    ]);
  });

  it('merges changed alerts: one row per alert, latest version, first-change order', () => {
    const a1 = { alertId: 'a', matchCount: 1 } as AlertRecord;
    const b1 = { alertId: 'b', matchCount: 1 } as AlertRecord;
    const a2 = { alertId: 'a', matchCount: 2 } as AlertRecord;
    expect(mergeChangedAlerts([[a1, b1], [a2]])).toEqual([a2, b1]);
  });
});

const root = join(import.meta.dirname, '../../..');
const dataDir = process.env['EVAL_DATA_DIR']
  ? join(process.env['EVAL_DATA_DIR'], 'loghub')
  : join(root, '../shared/eval-data/loghub');
const haveLoghub = existsSync(join(dataDir, 'OpenSSH_2k.log'));
if (!haveLoghub) console.warn(`engine-state loghub case skipped: no samples in ${dataDir}`);

(haveLoghub ? describe : describe.skip)('engine state persistence on loghub samples', () => {
  const loaded = loadRulesYaml(readFileSync(join(root, 'test/fixtures/loghub-rules.yaml'), 'utf8'));
  it.each(['openssh', 'linux', 'hdfs', 'hadoop'] as LoghubSystem[])(
    '%s: restarts every chunk change nothing',
    (system) => {
      if (!loaded.ok) throw new Error('rules');
      const lines = parseLoghubText(
        system,
        readFileSync(join(dataDir, LOGHUB_FILES[system]), 'utf8'),
      );
      const end = Math.max(...lines.map((l) => l.timestamp));
      const straight = runStraight(loaded.value, lines, end);
      const persisted = runPersisted(loaded.value, lines, 137, 1, end);
      expect(persisted.events).toEqual(straight.events);
      expect(persisted.alerts.size).toBe(straight.alerts.size);
    },
  );
});
