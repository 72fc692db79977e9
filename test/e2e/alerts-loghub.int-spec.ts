import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApiKey } from '../../src/platform/auth/api-keys.js';
import { type RunningService } from '../../src/platform/service/run-service.js';
import { type LoghubSystem, parseLoghubText } from '../../src/alerting/domain/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestPlatform, type TestPlatform, uniqueName } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';
import {
  ALL_SCOPES,
  api,
  bootstrap,
  produceLines,
  readAlertEvents,
  startAlerting,
} from './alerts-support.js';

/**
 * Real log samples through the real pipeline: each loghub file is produced to logs.lines, the
 * alerting service (its own topic prefix and database) consumes it with the rule set written
 * for the samples, and what comes out — alert events on alerts.events and alert rows from the
 * API — must be exactly the independently derived expectations (test/fixtures/loghub-expected.json):
 * per rule and group, the episodes (distinct alert ids that fired), each episode's final match
 * count, and whether the last one still fires.
 *
 * The fixture's replay ends with one tick at the newest line's time; the service gets a clock
 * fixed at that time, so its caught-up ticks are exactly that tick.
 */
const root = join(import.meta.dirname, '../..');
const dataDir = process.env.EVAL_DATA_DIR
  ? join(process.env.EVAL_DATA_DIR, 'loghub')
  : join(root, '../shared/eval-data/loghub');
const available = existsSync(join(dataDir, 'OpenSSH_2k.log'));
if (!available)
  console.warn(`alerts-loghub skipped: no loghub samples in ${dataDir} (set EVAL_DATA_DIR)`);

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

const sortGroups = (m: Record<string, Expected[]>): Record<string, Expected[]> =>
  Object.fromEntries(
    Object.entries(m)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => [k, [...v].sort((a, b) => (a.groupKey < b.groupKey ? -1 : 1))]),
  );

(available ? describe : describe.skip)(
  'loghub samples through Kafka raise exactly the expected alerts',
  () => {
    let p: TestPlatform;
    beforeAll(async () => {
      p = await createTestPlatform();
    });
    afterAll(async () => {
      await p?.close();
    });

    it.each(Object.entries(fixture.files))('%s', async (file, { system, expected }) => {
      const lines = parseLoghubText(system, readFileSync(join(dataDir, file), 'utf8'));
      const end = Math.max(...lines.map((l) => l.timestamp));
      const prefix = `${uniqueName('alh')}.`;
      const db: TestDatabase = await createTestDatabase('alh');
      const pool = db.pool(2);
      let svc: RunningService | undefined;
      try {
        await bootstrap(p, prefix);
        await produceLines(p, prefix, lines);
        svc = await startAlerting(
          {
            DATABASE_URL: db.url,
            KAFKA_TOPIC_PREFIX: prefix,
            ALERTING_GROUP_ID: uniqueName('alh'),
            ALERT_RULES_FILE: join(root, 'test/fixtures/loghub-rules.yaml'),
            ALERT_TICK_INTERVAL_MS: '100',
            // Only a consumed-to-the-end partition counts as caught up: no tick mid-replay.
            ALERT_CAUGHT_UP_DELAY_MS: '0',
            ALERTING_CHUNK_SIZE: '500',
          },
          () => end,
        );
        const { key } = await createApiKey(pool, { name: 'loghub', scopes: ALL_SCOPES });
        const call = api(svc.url, key);

        // Every line applied and a tick at `end` committed (the engine state in the database).
        await waitFor(
          'all lines applied and a tick at the end committed',
          async () => {
            const { rows } = await pool.query<{ state: string }>(
              `SELECT state FROM alerting.engine_state WHERE part = 'meta'`,
            );
            if (!rows[0]) return false;
            const meta = JSON.parse(rows[0].state) as {
              offsets: Record<string, string>;
              lastTickAt: number | null;
            };
            const applied = Object.values(meta.offsets).reduce((n, o) => n + Number(o) + 1, 0);
            return applied === lines.length && meta.lastTickAt === end;
          },
          { timeoutMs: 60_000, intervalMs: 100 },
        );
        await waitFor('outbox drained', async () => {
          const { rows } = await pool.query<{ n: string }>(
            `SELECT count(*) AS n FROM alerting.outbox WHERE published_at IS NULL`,
          );
          return rows[0]?.n === '0';
        });
        const { rows } = await pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM alerting.outbox`,
        );
        const events = await readAlertEvents(p, prefix, Number(rows[0]!.n));

        // Episodes from the events on the topic; final counts and states from the API.
        const alerts = new Map<string, { matchCount: number; status: string }>();
        let cursor: string | null = null;
        do {
          const page: {
            status: number;
            body: {
              items: Array<{ alertId: string; matchCount: number; status: string }>;
              nextCursor: string | null;
            };
          } = await call.get(`/alerts?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
          expect(page.status).toBe(200);
          for (const a of page.body.items) alerts.set(a.alertId, a);
          cursor = page.body.nextCursor;
        } while (cursor);
        const episodes = new Map<string, string[]>();
        for (const e of events) {
          if (e.status !== 'FIRING') continue;
          const k = `${e.ruleId} ${e.groupKey}`;
          const ids = episodes.get(k) ?? [];
          if (!ids.includes(e.alertId)) ids.push(e.alertId);
          episodes.set(k, ids);
        }
        const actual: Record<string, Expected[]> = {};
        for (const [k, ids] of episodes) {
          const [ruleId, ...rest] = k.split(' ');
          const finals = ids.map((id) => alerts.get(id)!);
          (actual[ruleId!] ??= []).push({
            groupKey: rest.join(' '),
            episodes: ids.length,
            matchCounts: finals.map((a) => a.matchCount),
            firingAtEnd: finals[finals.length - 1]!.status === 'firing',
          });
        }
        expect(sortGroups(actual)).toEqual(sortGroups(expected));
        // No event twice (the outbox de-duplicates by event id).
        expect(new Set(events.map((e) => e.eventId)).size).toBe(events.length);
      } finally {
        await svc?.shutdown('test done');
        await pool.end();
        await db.drop();
      }
    });
  },
);
