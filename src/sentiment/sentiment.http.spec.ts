import { BadRequestException } from '@nestjs/common';
import { Registry } from 'prom-client';
import { parseAggregatesQuery } from './sentiment.dto.js';
import { OTHER_SOURCE, SentimentMetrics, SourceLabeler } from './sentiment.metrics.js';

async function issues(query: Record<string, unknown>): Promise<unknown> {
  try {
    await parseAggregatesQuery(query, Date.UTC(2026, 0, 2));
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestException);
    return ((err as BadRequestException).getResponse() as { errors: unknown }).errors;
  }
}

describe('GET /aggregates query', () => {
  it('defaults to the last hour by minute', async () => {
    const q = await parseAggregatesQuery({}, Date.UTC(2026, 0, 2));
    expect(q).toEqual({
      from: new Date(Date.UTC(2026, 0, 1, 23)),
      to: new Date(Date.UTC(2026, 0, 2)),
      bucket: 'minute',
    });
  });

  it('reads a date-time without an offset as UTC', async () => {
    const q = await parseAggregatesQuery({ from: '2026-01-01T10:00:00', to: '2026-01-01T11:00' });
    expect(q.from.toISOString()).toBe('2026-01-01T10:00:00.000Z');
    expect(q.to.toISOString()).toBe('2026-01-01T11:00:00.000Z');
  });

  it('answers 400 with field errors', async () => {
    expect(await issues({ from: 'yesterday', bucket: 'week', extra: '1' })).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'from', code: 'VALIDATION.IS_ISO8601' }),
        expect.objectContaining({ field: 'bucket', code: 'VALIDATION.IS_IN' }),
        expect.objectContaining({ field: 'extra', code: 'VALIDATION.UNKNOWN_FIELD' }),
      ]),
    );
    expect(await issues({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' })).toEqual([
      expect.objectContaining({ field: 'to', code: 'VALIDATION.RANGE' }),
    ]);
    expect(await issues({ from: '2025-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' })).toEqual([
      expect.objectContaining({ field: 'from', code: 'VALIDATION.RANGE_TOO_LARGE' }),
    ]);
    expect(await issues({ source: ['a', 'b'] })).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'source', code: 'VALIDATION.IS_STRING' }),
      ]),
    );
  });
});

describe('source label cap', () => {
  it('labels pinned, then first-seen sources up to the cap, and the rest as other', () => {
    const s = new SourceLabeler(3, ['support']);
    expect(s.label('twitter')).toBe('twitter');
    expect(s.label('app-store')).toBe('app-store');
    expect(s.label('reddit')).toBe(OTHER_SOURCE);
    expect(s.label('support')).toBe('support');
    expect(s.label('twitter')).toBe('twitter');
    expect(new SourceLabeler(5).label('x'.repeat(65))).toBe(OTHER_SOURCE);
    expect(new SourceLabeler(0).label('a')).toBe(OTHER_SOURCE);
  });

  it('exports the model version and pool gauges', async () => {
    const registry = new Registry();
    const m = new SentimentMetrics(registry, new SourceLabeler(2));
    m.setModel('m-1');
    m.watchPool(() => ({
      mode: 'workers',
      size: 2,
      live: 2,
      queuedItems: 5,
      restarts: 0,
      busySeconds: 0,
    }));
    const text = await registry.metrics();
    expect(text).toContain('streamline_sentiment_model_info{version="m-1"} 1');
    expect(text).toContain('streamline_sentiment_workers{state="live"} 2');
    expect(text).toContain('streamline_sentiment_worker_queue_comments 5');
  });
});
