import 'reflect-metadata';
import { type BadRequestException } from '@nestjs/common';
import { type AccountView, type TransferView } from '../ledger.repository.js';
import { CreateAccountDto } from './dto.js';
import { validateBody } from '../../platform/http/validation.js';
import {
  accountJson,
  auditSource,
  newAccountFrom,
  parseAccountIdParam,
  parseAsOf,
  parseEntryQuery,
  parseTransferIdParam,
  transferJson,
} from './views.js';

async function issuesOf(body: unknown): Promise<Array<{ field: string; code: string }>> {
  try {
    await validateBody(CreateAccountDto, body);
    return [];
  } catch (err) {
    const response = (err as BadRequestException).getResponse() as {
      statusCode: number;
      errors: Array<{ field: string; code: string }>;
    };
    expect(response.statusCode).toBe(400);
    return response.errors.map(({ field, code }) => ({ field, code }));
  }
}

describe('create-account body validation', () => {
  it('accepts a minimal and a full body', async () => {
    expect(await issuesOf({ id: 'alice', currency: 'USD' })).toEqual([]);
    expect(
      await issuesOf({
        id: 'merchant-1',
        currency: 'EUR',
        scale: 2,
        minBalanceMinor: null,
        maxBalanceMinor: '9007199254740990',
        description: 'the shop',
        metadata: { region: 'eu' },
      }),
    ).toEqual([]);
    expect(await issuesOf({ id: 'x', currency: 'USD', minBalanceMinor: -500 })).toEqual([]);
  });

  it('reports every field error with a code, unknown fields included', async () => {
    expect(
      await issuesOf({
        id: 'has space',
        currency: 'usd',
        scale: 1.5,
        minBalanceMinor: '1e3',
        maxBalanceMinor: 2 ** 60,
        description: 'nul\u0000',
        metadata: { k: 1 },
        minBalance: '0',
      }),
    ).toEqual([
      { field: 'minBalance', code: 'VALIDATION.UNKNOWN_FIELD' },
      { field: 'id', code: 'VALIDATION.MATCHES' },
      { field: 'currency', code: 'VALIDATION.MATCHES' },
      { field: 'scale', code: 'VALIDATION.IS_INT' },
      { field: 'minBalanceMinor', code: 'VALIDATION.IS_MINOR_UNITS' },
      { field: 'maxBalanceMinor', code: 'VALIDATION.IS_MINOR_UNITS' },
      { field: 'description', code: 'VALIDATION.HAS_NO_NUL' },
      { field: 'metadata', code: 'VALIDATION.IS_STRING_MAP' },
    ]);
    expect(await issuesOf({})).toEqual(
      expect.arrayContaining([
        { field: 'id', code: 'VALIDATION.IS_STRING' },
        { field: 'currency', code: 'VALIDATION.IS_STRING' },
      ]),
    );
  });
});

describe('newAccountFrom', () => {
  it('keeps omitted bounds omitted (default 0 / none) and null as unbounded', async () => {
    const minimal = await validateBody(CreateAccountDto, { id: 'a', currency: 'USD' });
    expect(newAccountFrom(minimal, 'api-key:k')).toEqual({
      id: 'a',
      currency: 'USD',
      description: null,
      metadata: {},
      sourceSystem: 'api-key:k',
    });
    const full = await validateBody(CreateAccountDto, {
      id: 'b',
      currency: 'USD',
      scale: 3,
      minBalanceMinor: null,
      maxBalanceMinor: '9007199254740990',
    });
    expect(newAccountFrom(full, 's')).toMatchObject({
      scale: 3,
      minBalanceMinor: null,
      maxBalanceMinor: 9007199254740990n,
    });
  });
});

describe('parameters', () => {
  it('account ids: visible ASCII, 1-128', () => {
    expect(parseAccountIdParam("x';DROP/**/TABLE/**/ledger.accounts;--")).toEqual({
      ok: true,
      value: "x';DROP/**/TABLE/**/ledger.accounts;--",
    });
    expect(parseAccountIdParam("' OR 1=1 --").ok).toBe(false);
    expect(parseAccountIdParam('').ok).toBe(false);
    expect(parseAccountIdParam('a'.repeat(129)).ok).toBe(false);
  });

  it('transfer ids: UUIDs, normalised to lower case', () => {
    expect(parseTransferIdParam('6CF43791-CCEC-5E0C-9A37-8BAB6BCC5B1E')).toEqual({
      ok: true,
      value: '6cf43791-ccec-5e0c-9a37-8bab6bcc5b1e',
    });
    expect(parseTransferIdParam("1' OR '1'='1").ok).toBe(false);
  });

  it('asOf: ISO date-time with a zone, or absent', () => {
    expect(parseAsOf(undefined)).toEqual({ ok: true, value: undefined });
    expect(parseAsOf('2026-11-22T17:00:00Z')).toEqual({
      ok: true,
      value: new Date('2026-11-22T17:00:00Z'),
    });
    expect(parseAsOf('2026-11-22T17:00:00.123+02:00').ok).toBe(true);
    for (const bad of ['yesterday', '2026-11-22', '2026-11-22T17:00:00', '2026-13-40T99:00:00Z']) {
      expect(parseAsOf(bad).ok).toBe(false);
    }
  });

  it('entry pages: limit 1-1000 (default 100), numeric cursor within int64, order asc|desc', () => {
    expect(parseEntryQuery({})).toEqual({
      ok: true,
      value: { limit: 100, cursor: null, order: 'asc' },
    });
    expect(parseEntryQuery({ limit: '5', cursor: '42', order: 'desc' })).toEqual({
      ok: true,
      value: { limit: 5, cursor: '42', order: 'desc' },
    });
    const bad = parseEntryQuery({ limit: '0', cursor: '9223372036854775808', order: 'up' });
    expect(bad.ok ? [] : bad.issues.map((i) => i.field)).toEqual(['limit', 'cursor', 'order']);
    expect(parseEntryQuery({ limit: '1001' }).ok).toBe(false);
    expect(parseEntryQuery({ cursor: '1; DROP TABLE x' }).ok).toBe(false);
  });
});

describe('JSON views', () => {
  it('renders money and counters as decimal strings and times as ISO strings', () => {
    const account: AccountView = {
      id: 'alice',
      currency: 'USD',
      scale: 2,
      status: 'OPEN',
      minBalanceMinor: 0n,
      maxBalanceMinor: null,
      description: null,
      metadata: { a: 'b' },
      balance: {
        postedMinor: 9007199254740990n,
        pendingDebitsMinor: 1n,
        pendingCreditsMinor: 2n,
        availableMinor: 9007199254740989n,
        debitsPostedMinor: 3n,
        creditsPostedMinor: 9007199254740993n,
      },
      entryCount: 7n,
      createdBy: 'api-key:k',
      createdAt: new Date('2026-01-01T00:00:00Z'),
      closedBy: null,
      closedAt: null,
      updatedAt: new Date('2026-01-02T00:00:00Z'),
    };
    const json = accountJson(account);
    expect(json.balance.postedMinor).toBe('9007199254740990');
    expect(json.balance.creditsPostedMinor).toBe('9007199254740993');
    expect(json.minBalanceMinor).toBe('0');
    expect(json.entryCount).toBe('7');
    expect(json.createdAt).toBe('2026-01-01T00:00:00.000Z');
    expect(() => JSON.stringify(json)).not.toThrow();
  });

  it('renders a rejected transfer without balances', () => {
    const t: TransferView = {
      transferId: '6cf43791-ccec-5e0c-9a37-8bab6bcc5b1e',
      kind: 'TRANSFER',
      status: 'REJECTED',
      code: 'LEDGER.INSUFFICIENT_FUNDS',
      reason: 'not enough',
      fingerprint: 'ff',
      debitAccountId: 'a',
      creditAccountId: 'b',
      amountMinor: 5n,
      currency: 'USD',
      relatedTransferId: null,
      debitBalanceAfter: null,
      creditBalanceAfter: null,
      timeoutSeconds: null,
      expiresAt: null,
      sourceSystem: 's',
      requestEventId: null,
      requestedAt: new Date(0),
      decidedAt: new Date(1000),
      description: null,
      metadata: {},
      pendingState: null,
      settledByTransferId: null,
      settledAt: null,
      reversedMinor: 0n,
    };
    expect(transferJson(t)).toMatchObject({
      status: 'REJECTED',
      code: 'LEDGER.INSUFFICIENT_FUNDS',
      amountMinor: '5',
      debitBalanceAfter: null,
      decidedAt: '1970-01-01T00:00:01.000Z',
      reversedMinor: '0',
    });
  });

  it('names who asked for the audit columns, bounded', () => {
    expect(auditSource({ kind: 'api-key', id: 'abc', apiKey: { name: 'ops' } })).toBe(
      'api-key:ops',
    );
    expect(auditSource({ kind: 'jwt', id: 'user-1' })).toBe('jwt:user-1');
    expect(auditSource({ kind: 'jwt', id: 'x'.repeat(300) })).toHaveLength(128);
  });
});
