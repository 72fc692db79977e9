import { SCHEMA_TEXTS } from '../../platform/schemas/generated.js';
import { BodyError, canonicalJson, mediaKind, parseBatchBody, parseJsonBody } from './body.js';
import { isValidIdempotencyKey, requestFingerprint } from './idempotency-key.js';
import { avroToJsonSchema } from './json-schema.js';
import { parseMonth, secondsToMonthEnd, utcMonth } from './months.js';
import { TokenBuckets } from './token-bucket.js';

function bodyError(fn: () => unknown): { status: number; code: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof BodyError ? { status: err.status, code: err.code } : undefined;
  }
}

describe('request bodies', () => {
  it('accepts only the route media types, and UTF-8', () => {
    expect(mediaKind('application/json', ['json'])).toBe('json');
    expect(mediaKind('Application/JSON; charset="UTF-8"', ['json'])).toBe('json');
    expect(mediaKind('application/x-ndjson', ['json', 'ndjson'])).toBe('ndjson');
    expect(bodyError(() => mediaKind('application/x-ndjson', ['json']))?.status).toBe(415);
    expect(bodyError(() => mediaKind(undefined, ['json']))?.status).toBe(415);
    expect(bodyError(() => mediaKind('text/plain', ['json']))?.status).toBe(415);
    expect(bodyError(() => mediaKind('application/json; charset=latin1', ['json']))).toEqual({
      status: 415,
      code: 'BODY.UNSUPPORTED_CHARSET',
    });
  });

  it('refuses invalid UTF-8 instead of replacing it', () => {
    const bad = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]); // surrogate
    expect(bodyError(() => parseJsonBody(bad))).toEqual({ status: 400, code: 'BODY.INVALID_UTF8' });
    expect(bodyError(() => parseJsonBody(Buffer.from([0xc0, 0xaf])))?.code).toBe(
      'BODY.INVALID_UTF8',
    );
    expect(parseJsonBody(Buffer.from('\ufeff{"a":"é"}'))).toEqual({ a: 'é' });
  });

  it('parses JSON and NDJSON batches, and names the bad line', () => {
    expect(bodyError(() => parseJsonBody(Buffer.from('{')))?.code).toBe('BODY.MALFORMED_JSON');
    expect(bodyError(() => parseJsonBody(Buffer.from('  ')))?.code).toBe('BODY.EMPTY');
    expect(parseBatchBody(Buffer.from('[1,2]'), 'json')).toEqual([1, 2]);
    expect(bodyError(() => parseBatchBody(Buffer.from('{}'), 'json'))?.code).toBe(
      'BODY.NOT_AN_ARRAY',
    );
    expect(parseBatchBody(Buffer.from('{"a":1}\r\n\n  \n{"a":2}\n'), 'ndjson')).toEqual([
      { a: 1 },
      { a: 2 },
    ]);
    expect(() => parseBatchBody(Buffer.from('{"a":1}\n{"a":\n'), 'ndjson')).toThrow(
      /^line 2 is not valid JSON/,
    );
  });

  it('fingerprints bodies by meaning, not formatting, and by route', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe(
      '{"a":null,"b":[1,{"c":2,"d":1}]}',
    );
    expect(requestFingerprint('r', { a: 1, b: 2 })).toBe(requestFingerprint('r', { b: 2, a: 1 }));
    expect(requestFingerprint('r', { a: 1 })).not.toBe(requestFingerprint('s', { a: 1 }));
    expect(requestFingerprint('r', { a: 1 })).not.toBe(requestFingerprint('r', { a: 2 }));
    expect(isValidIdempotencyKey('3f2c1a4e-9b7d')).toBe(true);
    expect(isValidIdempotencyKey("';DROP--")).toBe(true);
    expect(isValidIdempotencyKey('')).toBe(false);
    expect(isValidIdempotencyKey('a b')).toBe(false);
    expect(isValidIdempotencyKey('é')).toBe(false);
    expect(isValidIdempotencyKey('x'.repeat(256))).toBe(false);
  });
});

describe('token buckets', () => {
  it('allows a burst of `rate`, then refills at `rate` per second', () => {
    const b = new TokenBuckets(1);
    const t = 1_000_000;
    const first = [1, 2, 3].map(() => b.take('k', 2, t));
    expect(first.map((d) => d.allowed)).toEqual([true, true, false]);
    expect(first[2]).toMatchObject({ remaining: 0, retryAfterSeconds: 1, limit: 2, burst: 2 });
    expect(b.take('k', 2, t + 500).allowed).toBe(true);
    expect(b.take('k', 2, t + 500).allowed).toBe(false);
    expect(b.take('other', 2, t).allowed).toBe(true);
    expect(b.peek('k', 2, t + 2000)).toMatchObject({ remaining: 2, resetSeconds: 0 });
  });

  it('follows a changed rate and rounds fractional rates up to one token', () => {
    const b = new TokenBuckets(1);
    expect(b.take('k', 1, 0).allowed).toBe(true);
    expect(b.take('k', 1, 0).allowed).toBe(false);
    expect(b.take('k', 100, 0).allowed).toBe(false); // tokens carried over, not refilled
    expect(b.take('k', 100, 20).allowed).toBe(true);
  });
});

describe('months and JSON schema', () => {
  it('computes UTC months and the seconds to the next one', () => {
    const t = Date.UTC(2026, 11, 31, 23, 59, 30);
    expect(utcMonth(t).key).toBe('2026-12-01');
    expect(utcMonth(t).end.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(secondsToMonthEnd(t)).toBe(30);
    expect(parseMonth('2026-02')?.key).toBe('2026-02-01');
    expect(parseMonth("2026-02' OR 1=1")).toBeUndefined();
    expect(parseMonth('2026-13')).toBeUndefined();
  });

  it('documents the request body from the Avro schema', () => {
    const s = avroToJsonSchema(SCHEMA_TEXTS['transfer-requested'], ['eventId', 'requestedAt']) as {
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { enum?: string[]; nullable?: boolean; description?: string }>;
    };
    expect(s.additionalProperties).toBe(false);
    expect(s.required.sort()).toEqual(
      [
        'amountMinor',
        'creditAccountId',
        'currency',
        'debitAccountId',
        'sourceSystem',
        'transferId',
      ].sort(),
    );
    expect(s.properties.kind?.enum).toContain('REVERSAL');
    expect(s.properties.relatedTransferId?.nullable).toBe(true);
    expect(s.properties.eventId?.description).toMatch(/Filled by the gateway/);
  });
});
