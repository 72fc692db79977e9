import { randomUUID } from 'node:crypto';
import { type Worker } from 'node:worker_threads';
import { pino } from 'pino';
import { createTestPlatform, uniqueName, type TestPlatform } from '../../../test/support/kafka.js';
import { loadMessagingConfig } from '../../platform/messaging/kafka.js';
import { RetriableError } from '../../platform/messaging/errors.js';
import { type LogLine } from '../../platform/schemas/generated.js';
import { compileRuleSpecs, prematchLines } from '../domain/index.js';
import { seededLines } from '../domain/testing/log-samples.js';
import { ruleSet } from '../domain/testing/rule-fixtures.js';
import { decodeAndMatch, inThreadMatcher, packValues, WorkerLineMatcher } from './line-matcher.js';

/**
 * The line matcher against the real registry: Avro values decoded and matched on the worker
 * thread give exactly what the same work gives on this thread, and what matching the original
 * lines gives; undecodable values are reported with their reason, never dropped.
 */
describe('line matcher (worker thread and in-thread) on the real registry', () => {
  let p: TestPlatform;
  let topic: string;
  const logger = pino({ level: 'silent' });
  const rules = ruleSet(
    {
      id: 'ssh',
      type: 'pattern',
      match: { regex: 'Failed password for (invalid user )?(?<user>\\S+) from' },
      group_by: ['fields.user'],
    },
    { id: 'oom', type: 'pattern', match: { keywords: ['Out of memory', 'OutOfMemoryError'] } },
    {
      id: 'db-quiet',
      type: 'flatline',
      match: { where: { source: ['db'] } },
      timeframe: '5m',
    },
  );
  const lines: LogLine[] = seededLines(3000, 5).map((message, i) => ({
    eventId: randomUUID(),
    timestamp: 1_700_000_000_000 + i,
    source: i % 5 === 0 ? 'db' : 'app',
    host: `h${i % 3}`,
    level: i % 11 === 0 ? 'ERROR' : 'INFO',
    message,
    fields: { i: String(i) },
  }));
  let values: Array<Buffer | null>;

  beforeAll(async () => {
    p = await createTestPlatform();
    topic = uniqueName('it.matcher');
    await p.serde.registerValueSchema(topic, 'log-line');
    values = lines.map((l) => p.serde.encode(topic, l));
    // Undecodable values among them: no magic byte, a cut body, no value at all.
    values.splice(10, 0, Buffer.from('plain text'));
    values.splice(500, 0, values[499]!.subarray(0, 9));
    values.splice(2000, 0, null);
  });

  afterAll(async () => {
    await p.close();
  });

  /** A worker matcher on the real registry, falling back to an in-thread one. */
  function workerMatcher(fallback = inThreadMatcher(p.serde, 8192)): WorkerLineMatcher {
    return new WorkerLineMatcher(
      { messaging: loadMessagingConfig(process.env, uniqueName('matcher')), maxLineLength: 8192 },
      logger,
      fallback,
    );
  }

  /** Each packed value's bytes, as text (null for a null value). */
  const unpacked = ({ bytes, starts, ends }: ReturnType<typeof packValues>): (string | null)[] =>
    [...starts].map((s, i) => (s < 0 ? null : Buffer.from(bytes, s, ends[i]! - s).toString()));

  it('packs values one after the other into one transferable buffer', () => {
    const response = Buffer.from('..ab....xyz..');
    const sample = [response.subarray(2, 4), null, Buffer.alloc(0), response.subarray(8, 11)];
    const packed = packValues(sample);
    expect(Buffer.from(packed.bytes).toString()).toBe('abxyz');
    expect([...packed.starts]).toEqual([0, -1, 2, 2]);
    expect([...packed.ends]).toEqual([2, -1, 2, 5]);
    expect(unpacked(packed)).toEqual(['ab', null, '', 'xyz']);
  });

  it('decodes packed values in place exactly as one by one, errors included', () => {
    const good = values[0]!;
    const sample = [
      good,
      good.subarray(0, good.length - 3), // cut: the next value's bytes must not complete it
      values[1]!,
      Buffer.concat([good, Buffer.from([0x02, 0x02])]), // trailing bytes
      Buffer.from('plain text'),
      Buffer.from([0, 0, 0]), // shorter than the header
      values[2]!,
    ];
    const { bytes, starts, ends } = packValues(sample);
    const packed = Buffer.from(bytes);
    const outcome = (decode: () => unknown): unknown => {
      try {
        return decode();
      } catch (err) {
        return (err as { reasonCode?: string }).reasonCode ?? String(err);
      }
    };
    const inPlace = [...ends].map((end, i) =>
      outcome(() => p.serde.decodeSyncAt(packed, starts[i]!, end, 'log-line')),
    );
    const oneByOne = sample.map((v) => outcome(() => p.serde.decodeSync(v, 'log-line')));
    expect(inPlace).toEqual(oneByOne);
    expect(oneByOne.slice(1, 6)).toEqual([
      'DECODE.TRUNCATED',
      lines[1],
      'DECODE.INVALID_AVRO',
      'DECODE.BAD_MAGIC_BYTE',
      'DECODE.TRUNCATED',
    ]);
  });

  it('gives the same chunk whether or not lines that cannot match are skipped undecoded', async () => {
    const packed = (): ReturnType<typeof packValues> => packValues(values);
    const skimmed = await decodeAndMatch(p.serde, packed(), rules, 8192);
    const decoded = await decodeAndMatch(p.serde, packed(), rules, 8192, { skim: false });
    expect(skimmed).toEqual(decoded);
    // Values as kafkajs hands them over: views of one response, record framing between them.
    const response = Buffer.concat(
      values.flatMap((v) => [Buffer.from([1, 2, 3]), v ?? Buffer.alloc(0)]),
    );
    let at = 0;
    const views = values.map((v) => {
      at += 3;
      if (v === null) return null;
      at += v.length;
      return response.subarray(at - v.length, at);
    });
    expect(await decodeAndMatch(p.serde, packValues(views), rules, 8192)).toEqual(decoded);
    expect(skimmed.prematched.timestamps).toHaveLength(lines.length);
    // Not vacuous: most of these lines (source app, no ssh or oom words) can be skipped.
    const skippable = lines.filter(
      (l) =>
        l.source === 'app' && !/failed password|out of memory|outofmemoryerror/i.test(l.message),
    );
    expect(skippable.length).toBeGreaterThan(lines.length / 2);
  });

  it('decodes and matches on the worker exactly as on this thread, reporting undecodable values', async () => {
    const matcher = workerMatcher();
    try {
      await matcher.start(); // resolves once the worker has loaded its code
      const [onWorker, inThread] = await Promise.all([
        matcher.match(values, rules),
        inThreadMatcher(p.serde, 8192).match(values, rules),
      ]);
      expect(onWorker).toEqual(inThread);
      expect(onWorker.undecodable.map((u) => [u.index, u.reasonCode])).toEqual([
        [10, 'DECODE.BAD_MAGIC_BYTE'],
        [500, 'DECODE.TRUNCATED'],
        [2000, 'DECODE.EMPTY'],
      ]);
      // The same as matching the lines themselves: every line, every hit, in order.
      expect(onWorker.prematched).toEqual(prematchLines(rules, lines));
      expect(onWorker.prematched.matched.length).toBeGreaterThan(100);
      expect(onWorker.prematched.matched.some((m) => m.hits.some((h) => h.captures['user']))).toBe(
        true,
      );
      expect(matcher.fallbacks).toBe(0); // the worker did it, not the in-thread fallback
    } finally {
      await matcher.close();
    }
  });

  it('matches each chunk with the rule set revision it was sent with, across a swap', async () => {
    const matcher = workerMatcher();
    const fewer = compileRuleSpecs(rules.rules.slice(1).map((r) => r.spec));
    try {
      const chunk = values.slice(0, 400);
      const [a, b, c] = await Promise.all([
        matcher.match(chunk, rules),
        matcher.match(chunk, fewer),
        matcher.match(chunk, rules),
      ]);
      expect(a.prematched.revision).toBe(rules.revision);
      expect(b.prematched.revision).toBe(fewer.revision);
      expect(c).toEqual(a);
      expect(b).toEqual(await decodeAndMatch(p.serde, packValues(chunk), fewer, 8192));
      expect(b.prematched.matched.length).toBeLessThan(a.prematched.matched.length);
    } finally {
      await matcher.close();
    }
    await expect(matcher.match(values.slice(0, 1), rules)).rejects.toBeInstanceOf(RetriableError);
  });

  it('matches a chunk on the main thread when the worker fails on it for good', async () => {
    const fallback = inThreadMatcher(p.serde, 8192);
    const matcher = workerMatcher(fallback);
    // A rule set whose revision does not match its rules: the worker refuses the chunk.
    const inconsistent = { ...rules, revision: 'not-the-revision-of-these-rules' };
    try {
      const chunk = values.slice(0, 300);
      const result = await matcher.match(chunk, inconsistent);
      expect(matcher.fallbacks).toBe(1);
      expect(result).toEqual(await fallback.match(chunk, inconsistent));
      expect(result.prematched.matched.length).toBeGreaterThan(0);
      // The worker is still there for the next consistent chunk.
      await matcher.match(chunk, rules);
      expect(matcher.fallbacks).toBe(1);
    } finally {
      await matcher.close();
    }
  });

  it('fails what a dying worker held as retriable and takes the next chunk with a new worker', async () => {
    const matcher = workerMatcher();
    try {
      await matcher.start();
      const inFlight = matcher.match(values, rules);
      // The worker dies (as on an out-of-memory abort) while it holds the chunk.
      await (matcher as unknown as { worker: Worker }).worker.terminate();
      await expect(inFlight).rejects.toBeInstanceOf(RetriableError);
      const again = await matcher.match(values, rules);
      expect(again.prematched).toEqual(prematchLines(rules, lines));
      expect(matcher.fallbacks).toBe(0);
    } finally {
      await matcher.close();
    }
  });
});
