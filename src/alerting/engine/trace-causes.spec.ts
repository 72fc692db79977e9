import { type AlertEvent } from '../../platform/schemas/generated.js';
import { engine, line, MIN, ruleSet, SEC, T0 } from '../domain/testing/rule-fixtures.js';
import { type LogLine } from '../../platform/schemas/generated.js';
import { causingLines, type ChunkLines } from './trace-causes.js';

/** Every line of the chunk as a possible cause (matched or not: only evidence lines count). */
function chunkOf(lines: readonly LogLine[]): ChunkLines {
  return {
    timestamps: lines.map((l) => l.timestamp),
    matched: lines.map((line, index) => ({ index, line })),
  };
}

const summary = (events: readonly AlertEvent[], causes: readonly number[]): string[] =>
  events.map((e, i) => `${e.status} ${e.groupKey} <- ${causes[i]}`);

describe('causingLines: the line of a chunk behind each alert event', () => {
  const pattern = ruleSet({
    id: 'oom',
    type: 'pattern',
    severity: 'critical',
    match: { keywords: ['out of memory'] },
    group_by: ['host'],
    resolve_after: '5m',
  });

  it('gives a FIRING the line that matched, not the lines around it', () => {
    const e = engine(pattern);
    const lines = [
      line(T0, 'all good', { host: 'a' }),
      line(T0 + SEC, 'out of memory', { host: 'a' }),
      line(T0 + 2 * SEC, 'out of memory again', { host: 'a' }),
      line(T0 + 3 * SEC, 'out of memory', { host: 'b' }),
    ];
    const out = e.process(lines);
    expect(summary(out.events, causingLines(out.events, chunkOf(lines)))).toEqual([
      'FIRING host=a <- 1',
      'FIRING host=b <- 3',
    ]);
  });

  it('gives a RESOLVED the line that moved engine time past resolve_after', () => {
    const e = engine(pattern);
    e.process([line(T0, 'out of memory', { host: 'a' })]);
    const lines = [
      line(T0 + MIN, 'noise', { host: 'z' }),
      // Older than the watermark: it cannot move time.
      line(T0 + 30 * SEC, 'late noise', { host: 'z' }),
      line(T0 + 6 * MIN, 'noise', { host: 'z' }),
      line(T0 + 7 * MIN, 'noise', { host: 'z' }),
    ];
    const out = e.process(lines);
    expect(summary(out.events, causingLines(out.events, chunkOf(lines)))).toEqual([
      'RESOLVED host=a <- 2',
    ]);
  });

  it('tells apart a resolve and a new firing caused by lines of the same chunk', () => {
    const e = engine(pattern);
    const lines = [
      line(T0, 'out of memory'),
      line(T0 + 2 * MIN, 'disk fine'),
      line(T0 + 10 * MIN, 'out of memory'),
    ];
    const out = e.process(lines);
    expect(summary(out.events, causingLines(out.events, chunkOf(lines)))).toEqual([
      'FIRING host=h1 <- 0',
      'RESOLVED host=h1 <- 2',
      'FIRING host=h1 <- 2',
    ]);
  });

  it('gives a frequency alert the line that reached the threshold', () => {
    const e = engine(
      ruleSet({
        id: 'burst',
        type: 'frequency',
        severity: 'high',
        threshold: 3,
        timeframe: '1m',
        match: { keywords: ['refused'] },
      }),
    );
    const lines = [
      line(T0, 'refused'),
      line(T0 + SEC, 'ok'),
      line(T0 + 2 * SEC, 'refused'),
      line(T0 + 3 * SEC, 'refused'),
      line(T0 + 4 * SEC, 'refused'),
    ];
    const out = e.process(lines);
    expect(summary(out.events, causingLines(out.events, chunkOf(lines)))).toEqual(['FIRING  <- 3']);
  });

  it('finds no line for events a tick caused', () => {
    const e = engine(pattern);
    const first = [line(T0, 'out of memory')];
    expect(causingLines(e.process(first).events, chunkOf(first))).toEqual([0]);
    const ticked = e.tick(T0 + 10 * MIN).events;
    expect(ticked.map((x) => x.status)).toEqual(['RESOLVED']);
    expect(causingLines(ticked, chunkOf([]))).toEqual([-1]);
    // Lines all older than the event: none of them caused it.
    expect(causingLines(ticked, chunkOf([line(T0 + MIN, 'x')]))).toEqual([-1]);
  });
});
