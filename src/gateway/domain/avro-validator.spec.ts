import avro from 'avsc';
import { SCHEMA_TEXTS } from '../../platform/schemas/generated.js';
import { compileValidator, type FieldError, type FillContext } from './avro-validator.js';

const NOW = Date.UTC(2026, 10, 22, 12);
const ctx: FillContext = { now: NOW, eventId: () => '00000000-0000-4000-8000-000000000001' };
const UUID = '3f2c1a4e-9b7d-4c1e-8f00-1234567890ab';

const transfers = compileValidator(SCHEMA_TEXTS['transfer-requested'], {
  eventId: (c) => c.eventId(),
  requestedAt: (c) => c.now,
});

function validTransfer(): Record<string, unknown> {
  return {
    transferId: UUID,
    debitAccountId: 'a',
    creditAccountId: 'b',
    amountMinor: 100,
    currency: 'USD',
    sourceSystem: 's',
  };
}

function errorsOf(value: unknown, path = ''): string[] {
  const r = transfers.validate(value, ctx, path);
  return r.ok ? [] : r.errors.map((e: FieldError) => `${e.field}:${e.code}`);
}

describe('Avro validation walker', () => {
  it('fills server fields and Avro defaults, and the result encodes with avsc', () => {
    const r = transfers.validate(validTransfer(), ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toEqual({
      eventId: '00000000-0000-4000-8000-000000000001',
      ...validTransfer(),
      kind: 'TRANSFER',
      relatedTransferId: null,
      timeoutSeconds: null,
      requestedAt: NOW,
      description: null,
      metadata: {},
    });
    expect(r.filled).toEqual(['eventId', 'requestedAt']);
    const type = avro.Type.forSchema(JSON.parse(SCHEMA_TEXTS['transfer-requested']) as avro.Schema);
    expect(type.isValid(r.value)).toBe(true);
    expect(type.fromBuffer(type.toBuffer(r.value))).toEqual(r.value);
  });

  it('does not fill fields the client gave, and keeps nullable unions plain', () => {
    const r = transfers.validate(
      {
        ...validTransfer(),
        eventId: UUID,
        requestedAt: NOW - 5,
        relatedTransferId: UUID,
        timeoutSeconds: 30,
      },
      ctx,
    );
    expect(r.ok && r.filled).toEqual([]);
    expect(r.ok && r.value).toMatchObject({
      eventId: UUID,
      requestedAt: NOW - 5,
      relatedTransferId: UUID,
      timeoutSeconds: 30,
    });
  });

  it('reports missing fields, unknown fields and wrong types together, with paths', () => {
    expect(
      errorsOf({
        transferId: UUID,
        amountMinor: '1',
        junk: 1,
        metadata: { a: 1, 'b c': 'ok', d: null },
      }),
    ).toEqual([
      'debitAccountId:required',
      'creditAccountId:required',
      'amountMinor:type',
      'currency:required',
      'sourceSystem:required',
      'metadata.a:type',
      'metadata.d:type',
      'junk:unknown_field',
    ]);
  });

  it('prefixes paths for batch items', () => {
    expect(errorsOf({ ...validTransfer(), currency: 1 }, '[7]')).toEqual(['[7].currency:type']);
    expect(errorsOf({ ...validTransfer(), metadata: { 'x y': 2 } }, '[0]')).toEqual([
      '[0].metadata["x y"]:type',
    ]);
  });

  it('checks enums, uuids, ints, longs and timestamps', () => {
    expect(errorsOf({ ...validTransfer(), kind: 'transfer' })).toEqual(['kind:enum']);
    expect(
      errorsOf({ ...validTransfer(), transferId: '3f2c1a4e9b7d4c1e8f001234567890ab' }),
    ).toEqual(['transferId:uuid']);
    expect(errorsOf({ ...validTransfer(), relatedTransferId: 'nope' })).toEqual([
      'relatedTransferId:uuid',
    ]);
    expect(errorsOf({ ...validTransfer(), timeoutSeconds: 2 ** 31 })).toEqual([
      'timeoutSeconds:int_range',
    ]);
    expect(errorsOf({ ...validTransfer(), timeoutSeconds: 1.5 })).toEqual(['timeoutSeconds:type']);
    expect(errorsOf({ ...validTransfer(), amountMinor: 2 ** 53 })).toEqual([
      'amountMinor:int_range',
    ]);
    expect(errorsOf({ ...validTransfer(), amountMinor: -(2 ** 53 - 1) })).toEqual([]);
    expect(errorsOf({ ...validTransfer(), requestedAt: Date.UTC(1999, 11, 31) })).toEqual([
      'requestedAt:timestamp_range',
    ]);
    expect(errorsOf({ ...validTransfer(), requestedAt: NOW + 25 * 3600_000 })).toEqual([
      'requestedAt:timestamp_range',
    ]);
    expect(errorsOf({ ...validTransfer(), requestedAt: '2026-11-22T10:00:00+02:00' })).toEqual([]);
    expect(errorsOf({ ...validTransfer(), requestedAt: '2026-11-22T10:00:00' })).toEqual([
      'requestedAt:type',
    ]);
    expect(errorsOf({ ...validTransfer(), requestedAt: 'yesterday' })).toEqual([
      'requestedAt:type',
    ]);
  });

  it('rejects null where the schema has no null, and non-objects at the root', () => {
    expect(errorsOf({ ...validTransfer(), currency: null })).toEqual(['currency:type']);
    expect(errorsOf({ ...validTransfer(), kind: null })).toEqual(['kind:enum']);
    expect(errorsOf({ ...validTransfer(), metadata: null })).toEqual(['metadata:type']);
    expect(errorsOf([validTransfer()])).toEqual(['(body):type']);
    expect(errorsOf('x')).toEqual(['(body):type']);
    expect(errorsOf(null)).toEqual(['(body):type']);
  });

  it('treats __proto__ and constructor keys as unknown fields, never as prototypes', () => {
    const value = JSON.parse(`{"__proto__":{"polluted":1},"constructor":{}}`) as Record<
      string,
      unknown
    >;
    expect(errorsOf({ ...validTransfer(), ...value }).sort()).toEqual([
      '__proto__:unknown_field',
      'constructor:unknown_field',
    ]);
    const map = transfers.validate(
      { ...validTransfer(), metadata: JSON.parse('{"__proto__":"x"}') as unknown },
      ctx,
    );
    expect(map.ok).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('caps the number of errors', () => {
    const many = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, i]));
    const v = compileValidator(SCHEMA_TEXTS['log-line'], {}, { maxErrors: 10 });
    const r = v.validate(many, ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(11);
    expect(r.errors[10]?.code).toBe('too_many_errors');
  });

  it('walks nested records, arrays, named-type references and maps of arrays', () => {
    const alerts = compileValidator(SCHEMA_TEXTS['alert-event']);
    const line = { eventId: UUID, timestamp: NOW, source: 's', message: 'm' };
    const base = {
      eventId: UUID,
      alertId: UUID,
      fingerprint: 'f',
      ruleId: 'r',
      ruleName: 'n',
      ruleType: 'pattern',
      status: 'FIRING',
      severity: 'high',
      groupKey: 'g',
      matchCount: 1,
      startsAt: NOW,
      emittedAt: NOW,
    };
    const ok = alerts.validate({ ...base, firstLines: [line], lastLines: [line] }, ctx);
    expect(ok.ok).toBe(true);
    expect(ok.ok && (ok.value as { lastLines: unknown[] }).lastLines[0]).toEqual({
      ...line,
      host: null,
      level: null,
      truncated: false,
    });
    const bad = alerts.validate(
      { ...base, lastLines: [line, { ...line, eventId: 'x', extra: 1 }, { source: 's' }] },
      ctx,
    );
    expect(bad.ok ? [] : bad.errors.map((e) => `${e.field}:${e.code}`)).toEqual([
      'lastLines[1].eventId:uuid',
      'lastLines[1].extra:unknown_field',
      'lastLines[2].eventId:required',
      'lastLines[2].timestamp:required',
      'lastLines[2].message:required',
    ]);
    const analyzed = compileValidator(SCHEMA_TEXTS['comment-analyzed']);
    const r = analyzed.validate(
      {
        eventId: UUID,
        commentId: 'c',
        requestEventId: UUID,
        source: 's',
        label: 'POSITIVE',
        score: 0.5,
        confidence: 1,
        language: 'en',
        modelVersion: 'v',
        entities: { people: ['Ann', 3] },
        tokenCount: 3,
        submittedAt: NOW,
        analyzedAt: NOW,
      },
      ctx,
    );
    expect(r.ok ? [] : r.errors.map((e) => `${e.field}:${e.code}`)).toEqual([
      'entities.people[1]:type',
    ]);
  });

  it('handles bytes, fixed, multi-branch unions and self-references', () => {
    const v = compileValidator({
      type: 'record',
      name: 'Node',
      namespace: 'x',
      fields: [
        { name: 'b', type: 'bytes' },
        { name: 'f', type: { type: 'fixed', name: 'Two', size: 2 } },
        { name: 'u', type: ['null', 'int', 'string'] },
        { name: 'next', type: ['null', 'Node'], default: null },
      ],
    });
    const ok = v.validate(
      { b: '\u00ff\u0000', f: 'ab', u: 'x', next: { b: '', f: 'cd', u: 3 } },
      ctx,
    );
    expect(ok.ok).toBe(true);
    expect(ok.ok && (ok.value as { b: Buffer }).b).toEqual(Buffer.from([255, 0]));
    const bad = v.validate(
      { b: '€', f: 'abc', u: true, next: { b: '', f: 'cd', u: 1, next: 5 } },
      ctx,
    );
    expect(bad.ok ? [] : bad.errors.map((e) => `${e.field}:${e.code}`)).toEqual([
      'b:type',
      'f:fixed_size',
      'u:type',
      'next.next:type',
    ]);
  });

  it('accepts every example the generated types allow for each ingest schema', () => {
    const logs = compileValidator(SCHEMA_TEXTS['log-line'], {
      eventId: (c) => c.eventId(),
      timestamp: (c) => c.now,
    });
    const r = logs.validate({ source: 's', message: 'm', fields: { pid: '1' } }, ctx);
    expect(r.ok && r.value).toEqual({
      eventId: '00000000-0000-4000-8000-000000000001',
      timestamp: NOW,
      source: 's',
      host: null,
      level: null,
      message: 'm',
      fields: { pid: '1' },
    });
    expect(() => compileValidator(SCHEMA_TEXTS['log-line'], { nope: () => 1 })).toThrow(
      /unknown field/,
    );
  });
});
