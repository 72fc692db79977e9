import { Module } from '@nestjs/common';
import pg from 'pg';
import { createApiKey } from '../../src/platform/auth/api-keys.js';
import { dlqTopicName, physicalTopic, TOPICS } from '../../src/platform/messaging/topics.js';
import {
  type CommentAnalyzed,
  type CommentSubmitted,
  type DeadLetter,
} from '../../src/platform/schemas/generated.js';
import { runService, type RunningService } from '../../src/platform/service/run-service.js';
import { loadServiceConfig } from '../../src/platform/service/service-config.js';
import { analysisEventId } from '../../src/sentiment/comment-mapping.js';
import { loadSentimentConfig } from '../../src/sentiment/sentiment.config.js';
import { SentimentModule } from '../../src/sentiment/sentiment.module.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestPlatform, uniqueName, type TestPlatform } from '../support/kafka.js';
import { waitFor } from '../support/wait-for.js';
import { comment, metricSum, metricValue, submit, TopicCollector } from './sentiment-support.js';

/**
 * The sentiment service in-process on the real stack (Kafka, registry, PostgreSQL): comments in,
 * analyses out on comments.analyzed (decoded with our AvroSerde), aggregates in the database and
 * through the API, metrics, bad input as flags or dead letters, and redelivery counted once.
 * Under jest the pool classifies on the main thread (no compiled worker file); the worker path
 * is covered by sentiment-process.int-spec.ts against the built service.
 */
describe('sentiment service (in-process, real stack)', () => {
  const prefix = `${uniqueName('sent')}.`;
  const inputTopic = physicalTopic(TOPICS.commentsSubmitted.name, prefix);
  const outputTopic = physicalTopic(TOPICS.commentsAnalyzed.name, prefix);
  const source = uniqueName('src');
  let db: TestDatabase;
  let pool: pg.Pool;
  let svc: RunningService;
  let p: TestPlatform;
  let analyzed: TopicCollector<CommentAnalyzed>;
  let dead: TopicCollector<DeadLetter>;
  let apiKey: string;
  let modelVersion: string;
  let classifierMode: string;

  const get = (path: string, key: string | null = apiKey): Promise<Response> =>
    fetch(`${svc.url}${path}`, { headers: key ? { 'x-api-key': key } : {} });
  const metrics = async (): Promise<string> => (await fetch(`${svc.url}/metrics`)).text();
  const analysisOf = (commentId: string): Promise<CommentAnalyzed> =>
    waitFor(`analysis of ${commentId}`, () => analyzed.byKey(commentId)[0]?.value);

  beforeAll(async () => {
    db = await createTestDatabase('sentiment');
    pool = db.pool(2);
    const env = {
      ...process.env,
      HTTP_PORT: '0',
      DATABASE_URL: db.url,
      KAFKA_TOPIC_PREFIX: prefix,
      SENTIMENT_CONSUMER_GROUP: uniqueName('sentiment'),
      SENTIMENT_MAX_CHARS: '2000',
    };
    const config = loadServiceConfig(env, 'sentiment', 0);
    const sentiment = loadSentimentConfig(env);
    @Module({ imports: [SentimentModule.forRoot(config, sentiment)] })
    class TestSentimentModule {}
    svc = await runService(TestSentimentModule, {
      config,
      title: 'sentiment test',
      description: 'test',
      handleSignals: false,
    });
    p = await createTestPlatform();
    await p.serde.registerValueSchema(inputTopic, 'comment-submitted');
    analyzed = await TopicCollector.start(p.kafka, outputTopic, (v) =>
      p.serde.decode<CommentAnalyzed>(v, 'comment-analyzed'),
    );
    dead = await TopicCollector.start(p.kafka, dlqTopicName(inputTopic), (v) =>
      p.serde.decode<DeadLetter>(v, 'dead-letter'),
    );
    apiKey = (await createApiKey(pool, { name: 'analyst', scopes: ['comments:read'] })).key;
    await waitFor('ready', async () => (await fetch(`${svc.url}/health/ready`)).status === 200);
    const ready = (await (await fetch(`${svc.url}/health/ready`)).json()) as {
      info: { 'sentiment-classifier': { model: string; mode: string } };
    };
    modelVersion = ready.info['sentiment-classifier'].model;
    classifierMode = ready.info['sentiment-classifier'].mode;
  });

  afterAll(async () => {
    await analyzed?.stop();
    await dead?.stop();
    await svc?.shutdown('test done');
    await p?.close();
    await pool?.end();
    await db?.drop();
  });

  const clear: Array<[string, string, CommentAnalyzed['label'], string]> = [
    ['en-pos', 'I absolutely love this app, it works great! 😍', 'POSITIVE', 'en'],
    ['en-neg', 'This is the worst update ever, totally broken and useless.', 'NEGATIVE', 'en'],
    ['en-neg-negated', 'Not good at all. I would not recommend it to anyone.', 'NEGATIVE', 'en'],
    ['pt-pos', 'Adorei o atendimento, muito bom e rápido! Recomendo.', 'POSITIVE', 'pt'],
    ['pt-neg', 'Péssimo produto, não funciona e o suporte é horrível.', 'NEGATIVE', 'pt'],
    ['pt-neg-negated', 'Não gostei nada, não recomendo.', 'NEGATIVE', 'pt'],
  ];

  it('analyses English and Portuguese comments into comments.analyzed records', async () => {
    expect(classifierMode).toBe('in-process');
    const sent = clear.map(([id, text]) => comment(`${source}-${id}`, text, { source }));
    await submit(p.producer, p.serde, inputTopic, sent);
    for (const [i, [id, , label, language]] of clear.entries()) {
      const commentId = `${source}-${id}`;
      const a = await analysisOf(commentId);
      const request = sent[i] as CommentSubmitted;
      expect(a).toMatchObject({ commentId, label, language, source, modelVersion });
      expect(a.eventId).toBe(analysisEventId(commentId, modelVersion));
      expect(a.requestEventId).toBe(request.eventId);
      expect(a.submittedAt).toBe(request.submittedAt);
      expect(a.analyzedAt).toBeGreaterThanOrEqual(request.submittedAt);
      expect(a.tokenCount).toBeGreaterThan(0);
      expect(a.drivers?.length).toBeGreaterThan(0);
      expect(a.confidence).toBeGreaterThanOrEqual(0.5);
      expect(Math.sign(a.score)).toBe(label === 'POSITIVE' ? 1 : -1);
      expect(analyzed.byKey(commentId)[0]?.key).toBe(commentId);
    }
  });

  it('keeps aggregates in PostgreSQL and serves them and each analysis over the API', async () => {
    await analysisOf(`${source}-pt-neg-negated`);
    const rows = await pool.query<{ label: string; comments: string }>(
      `SELECT label, sum(comments) AS comments FROM sentiment.aggregates_minute
       WHERE source = $1 GROUP BY label ORDER BY label`,
      [source],
    );
    expect(rows.rows).toEqual([
      { label: 'NEGATIVE', comments: '4' },
      { label: 'POSITIVE', comments: '2' },
    ]);

    const from = new Date(Date.now() - 3600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const res = await get(`/aggregates?from=${from}&to=${to}&source=${source}&bucket=hour`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      series: Array<{ label: string; comments: number; meanScore: number; source: string }>;
      totals: Array<{ label: string; comments: number; meanScore: number }>;
      truncated: boolean;
    };
    expect(body.truncated).toBe(false);
    expect(body.totals).toEqual([
      { label: 'NEGATIVE', comments: 4, meanScore: expect.any(Number) as number },
      { label: 'POSITIVE', comments: 2, meanScore: expect.any(Number) as number },
    ]);
    expect(body.totals[0]?.meanScore).toBeLessThan(0);
    expect(body.totals[1]?.meanScore).toBeGreaterThan(0);
    expect(body.series.every((s) => s.source === source)).toBe(true);
    expect(body.series.reduce((n, s) => n + s.comments, 0)).toBe(6);

    const one = await get(`/comments/${encodeURIComponent(`${source}-en-pos`)}/analysis`);
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({
      commentId: `${source}-en-pos`,
      label: 'POSITIVE',
      language: 'en',
      modelVersion,
      eventId: analysisEventId(`${source}-en-pos`, modelVersion),
    });
    expect((await get('/comments/never-seen/analysis')).status).toBe(404);
    expect((await get(`/comments/${source}-en-pos/analysis`, null)).status).toBe(401);

    const bad = await get('/aggregates?bucket=week&from=yesterday');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({
      statusCode: 400,
      errors: expect.arrayContaining([
        expect.objectContaining({ field: 'bucket' }),
        expect.objectContaining({ field: 'from' }),
      ]) as unknown,
    });

    const doc = (await (await fetch(`${svc.url}/docs/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/comments/{commentId}/analysis', '/aggregates']),
    );
  });

  it('exports metrics that move with the analyses', async () => {
    await analysisOf(`${source}-pt-neg-negated`);
    const text = await waitFor('comment counters', async () => {
      const t = await metrics();
      return metricSum(t, 'streamline_sentiment_comments_total', { source }) === 6 ? t : undefined;
    });
    expect(
      metricValue(text, 'streamline_sentiment_comments_total', {
        label: 'positive',
        source,
        language: 'pt',
      }),
    ).toBe(1);
    expect(
      metricValue(text, 'streamline_sentiment_comments_total', {
        label: 'negative',
        source,
        language: 'en',
      }),
    ).toBe(2);
    expect(metricValue(text, 'streamline_sentiment_score_count', { source })).toBe(6);
    expect(metricValue(text, 'streamline_sentiment_model_info', { version: modelVersion })).toBe(1);
    expect(
      metricValue(text, 'streamline_sentiment_analysis_latency_seconds_count'),
    ).toBeGreaterThan(0);
    expect(
      metricValue(text, 'streamline_sentiment_worker_busy_seconds_total', { worker: 'main' }),
    ).toBeGreaterThan(0);
    expect(metricValue(text, 'streamline_sentiment_workers', { state: 'configured' })).toBe(0);
  });

  it('turns bad text into flagged results, and what cannot be analysed into dead letters', async () => {
    const id = (s: string): string => `${source}-bad-${s}`;
    const good = comment(id('invalid-utf8'), 'AAAAAAAA', { source });
    const encoded = p.serde.encode(inputTopic, good);
    const at = encoded.indexOf(Buffer.from('AAAAAAAA'));
    Buffer.from([0x48, 0x69, 0xff, 0xfe, 0xc3, 0x28, 0x21, 0x21]).copy(encoded, at);
    await p.producer.send({
      topic: inputTopic,
      acks: -1,
      messages: [
        { key: id('invalid-utf8'), value: encoded },
        { key: 'garbage', value: Buffer.from('not avro at all') },
      ],
    });
    await submit(p.producer, p.serde, inputTopic, [
      comment(id('empty'), '', { source }),
      comment(id('spaces'), '   \n\t  ', { source }),
      comment(id('huge'), 'great product '.repeat(40_000), { source }),
      comment(id('control'), 'love\u0000 it\u0007\u001b[31m!', { source }),
      comment(id('html'), '<p>I <b>hate</b> this &amp; <script>alert(1)</script></p>', { source }),
      comment(id('emoji'), '😡😡😡', { source }),
      comment(id('hint'), 'Gracias, todo perfecto 😍', { source, languageHint: 'es' }),
      comment('', 'no id', { source }),
      comment(id('bad-event'), 'fine', { source, eventId: 'not-a-uuid' }),
    ]);

    expect(await analysisOf(id('empty'))).toMatchObject({
      label: 'NEUTRAL',
      score: 0,
      tokenCount: 0,
      flags: ['EMPTY'],
    });
    expect((await analysisOf(id('spaces'))).flags).toEqual(['EMPTY']);
    const huge = await analysisOf(id('huge'));
    expect(huge.flags).toContain('TRUNCATED');
    expect(huge.label).toBe('POSITIVE');
    expect((await analysisOf(id('control'))).flags).toContain('CONTROL_CHARS_REMOVED');
    const html = await analysisOf(id('html'));
    expect(html.flags).toContain('HTML_STRIPPED');
    expect(html.drivers).not.toContain('alert');
    expect((await analysisOf(id('invalid-utf8'))).flags).toContain('INVALID_UNICODE_REPLACED');
    expect((await analysisOf(id('emoji'))).label).toBe('NEGATIVE');
    expect(await analysisOf(id('hint'))).toMatchObject({ language: 'es', label: 'POSITIVE' });

    const letters = await waitFor('three dead letters', () =>
      dead.records.length >= 3 ? dead.records : undefined,
    );
    expect(letters.map((l) => l.headers['dlq-reason']).sort()).toEqual([
      'DECODE.BAD_MAGIC_BYTE',
      'VALIDATION.INVALID',
      'VALIDATION.INVALID',
    ]);
    expect(letters.map((l) => l.value.errorMessage).join(' ')).toMatch(/commentId.*|eventId/);
    expect(analyzed.byKey(id('bad-event'))).toEqual([]);

    const text = await metrics();
    expect(metricValue(text, 'streamline_sentiment_input_flags_total', { flag: 'EMPTY' })).toBe(2);
    expect(
      metricValue(text, 'streamline_dlq_messages_total', { reason: 'VALIDATION.INVALID' }),
    ).toBe(2);
  });

  it('answers a redelivered comment with the same event and never counts it twice', async () => {
    const ids = clear.map(([id]) => `${source}-${id}`);
    const before = await Promise.all(ids.map((id) => analysisOf(id)));
    const countBefore = await pool.query<{ n: string }>(
      'SELECT sum(comments) AS n FROM sentiment.aggregates_minute WHERE source = $1',
      [source],
    );
    // The same comments again (new event ids, even a changed text): the first analysis stands.
    await submit(
      p.producer,
      p.serde,
      inputTopic,
      clear.map(([id]) => comment(`${source}-${id}`, 'changed text, terrible', { source })),
    );
    const again = await waitFor('republished analyses', () => {
      const all = ids.map((id) => analyzed.byKey(id));
      return all.every((r) => r.length >= 2) ? all.map((r) => r[1]?.value) : undefined;
    });
    expect(again).toEqual(before);
    const countAfter = await pool.query<{ n: string }>(
      'SELECT sum(comments) AS n FROM sentiment.aggregates_minute WHERE source = $1',
      [source],
    );
    expect(countAfter.rows[0]?.n).toBe(countBefore.rows[0]?.n);
    const text = await metrics();
    expect(metricValue(text, 'streamline_sentiment_redelivered_total')).toBe(6);
    expect(metricSum(text, 'streamline_sentiment_comments_total', { source })).toBe(
      Number(countAfter.rows[0]?.n),
    );
  });
});
