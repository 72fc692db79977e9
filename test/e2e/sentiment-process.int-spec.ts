import { spawn } from 'node:child_process';
import path from 'node:path';
import type pg from 'pg';
import { physicalTopic, TOPICS } from '../../src/platform/messaging/topics.js';
import { type CommentAnalyzed } from '../../src/platform/schemas/generated.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestPlatform, uniqueName, type TestPlatform } from '../support/kafka.js';
import { startServiceProcess, testPort, type ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait-for.js';
import { comment, metricSum, metricValue, submit, TopicCollector } from './sentiment-support.js';

const repoRoot = path.join(import.meta.dirname, '../..');

const TEMPLATES: Array<[string, CommentAnalyzed['label'], string]> = [
  ['Love it, the new version is fantastic! #{i}', 'POSITIVE', 'en'],
  ['Terrible support, I want my money back. Ticket {i}', 'NEGATIVE', 'en'],
  ['Adorei, funciona muito bem! Pedido {i}', 'POSITIVE', 'pt'],
  ['Horrível, não funciona e ninguém responde. Pedido {i}', 'NEGATIVE', 'pt'],
];

/**
 * The BUILT sentiment service as a real process (`dist/src/sentiment/main.js`, as production
 * runs it), so classification runs on worker threads: comments in, analyses out, both workers
 * busy, a graceful SIGTERM, and a full redelivery (a second consumer group over the same topic
 * and database) that re-publishes identical events without counting anything twice.
 */
describe('sentiment service as a process (worker threads, real stack)', () => {
  const prefix = `${uniqueName('sentp')}.`;
  const inputTopic = physicalTopic(TOPICS.commentsSubmitted.name, prefix);
  const outputTopic = physicalTopic(TOPICS.commentsAnalyzed.name, prefix);
  const source = uniqueName('proc');
  const total = 3000;
  let db: TestDatabase;
  let pool: pg.Pool;
  let p: TestPlatform;
  let analyzed: TopicCollector<CommentAnalyzed>;
  let svc: ServiceProcess | undefined;

  const env = (group: string): Record<string, string> => ({
    DATABASE_URL: db.url,
    KAFKA_TOPIC_PREFIX: prefix,
    SENTIMENT_CONSUMER_GROUP: group,
    SENTIMENT_WORKERS: '2',
  });

  beforeAll(async () => {
    db = await createTestDatabase('sentproc');
    pool = db.pool(2);
    p = await createTestPlatform();
  });

  afterAll(async () => {
    await svc?.stop('SIGKILL');
    await analyzed?.stop();
    await p?.close();
    await pool?.end();
    await db?.drop();
  });

  it('refuses to start without its model, naming SENTIMENT_MODEL', async () => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist/src/sentiment/main.js')], {
      cwd: repoRoot,
      env: {
        ...process.env,
        ...env(uniqueName('nomodel')),
        HTTP_PORT: String(testPort(7)),
        SENTIMENT_MODEL: 'models/does-not-exist.json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).not.toBe(0);
    expect(output).toMatch(/config: SENTIMENT_MODEL points at no file/);
  });

  it('classifies on both worker threads and publishes every analysis', async () => {
    svc = await startServiceProcess('sentiment', testPort(3), env(uniqueName('sentiment')));
    const ready = (await (await fetch(`${svc.url}/health/ready`)).json()) as {
      info: { 'sentiment-classifier': { mode: string; live: number } };
    };
    expect(ready.info['sentiment-classifier']).toMatchObject({ mode: 'workers', live: 2 });

    await p.serde.registerValueSchema(inputTopic, 'comment-submitted');
    analyzed = await TopicCollector.start(p.kafka, outputTopic, (v) =>
      p.serde.decode<CommentAnalyzed>(v, 'comment-analyzed'),
    );
    const sent = Array.from({ length: total }, (_, i) => {
      const [text] = TEMPLATES[i % TEMPLATES.length] as [string, string, string];
      return comment(`${source}-${i}`, text.replace('{i}', String(i)), { source });
    });
    await submit(p.producer, p.serde, inputTopic, sent);
    await waitFor(`${total} analyses`, () => analyzed.records.length >= total, {
      timeoutMs: 120_000,
    });
    for (let i = 0; i < total; i++) {
      const [, label, language] = TEMPLATES[i % TEMPLATES.length] as [string, string, string];
      const got = analyzed.byKey(`${source}-${i}`);
      expect(got).toHaveLength(1);
      expect(got[0]?.value).toMatchObject({ label, language, requestEventId: sent[i]?.eventId });
    }

    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metricSum(metrics, 'streamline_sentiment_comments_total', { source })).toBe(total);
    expect(metricValue(metrics, 'streamline_sentiment_workers', { state: 'live' })).toBe(2);
    for (const worker of ['0', '1']) {
      expect(
        metricValue(metrics, 'streamline_sentiment_worker_busy_seconds_total', { worker }),
      ).toBeGreaterThan(0);
    }
    expect(
      metricValue(metrics, 'streamline_sentiment_worker_busy_seconds_total', { worker: 'main' }),
    ).toBeUndefined();

    const counted = await pool.query<{ n: string }>(
      'SELECT sum(comments) AS n FROM sentiment.aggregates_minute WHERE source = $1',
      [source],
    );
    expect(Number(counted.rows[0]?.n)).toBe(total);
    expect(await svc.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    svc = undefined;
  });

  it('re-publishes identical events on a full redelivery and counts nothing twice', async () => {
    const first = new Map(analyzed.records.map((r) => [r.key, r.value]));
    // A new consumer group reads the topic from the start: every comment is delivered again.
    svc = await startServiceProcess('sentiment', testPort(5), env(uniqueName('replay')));
    await waitFor(`${total} re-published analyses`, () => analyzed.records.length >= 2 * total, {
      timeoutMs: 120_000,
    });
    for (const r of analyzed.records.slice(total)) {
      expect(r.value).toEqual(first.get(r.key));
    }
    const metrics = await waitFor('redelivery counted', async () => {
      const text = await (await fetch(`${(svc as ServiceProcess).url}/metrics`)).text();
      return metricValue(text, 'streamline_sentiment_redelivered_total') === total
        ? text
        : undefined;
    });
    expect(metricSum(metrics, 'streamline_sentiment_comments_total')).toBe(0);
    const counted = await pool.query<{ n: string }>(
      'SELECT sum(comments) AS n FROM sentiment.aggregates_minute WHERE source = $1',
      [source],
    );
    expect(Number(counted.rows[0]?.n)).toBe(total);
    expect(await svc.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    svc = undefined;
  });
});
