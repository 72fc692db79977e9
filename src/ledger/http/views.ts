import { isAccountId, type BalanceSnapshot, type NewAccount } from '../domain/account.js';
import { INT64_MAX } from '../domain/money.js';
import { isUuid } from '../domain/uuid.js';
import {
  MAX_ENTRY_PAGE,
  type AccountView,
  type BalanceAt,
  type EntryPage,
  type TransferView,
} from '../ledger.repository.js';
import {
  type AccountDto,
  type BalanceAtDto,
  type BalanceSnapshotDto,
  type CreateAccountDto,
  type EntryPageDto,
  type TransferDto,
} from './dto.js';
import { type FieldIssue } from '../../platform/http/validation.js';

/**
 * Pure mapping between the HTTP edge and the repository: request parameters in (with field
 * issues), JSON-safe views out (bigint → decimal string, Date → ISO string).
 */

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
const str = (v: bigint | null): string | null => (v === null ? null : v.toString());

export function accountJson(a: AccountView): AccountDto {
  return {
    id: a.id,
    currency: a.currency,
    scale: a.scale,
    status: a.status,
    minBalanceMinor: str(a.minBalanceMinor),
    maxBalanceMinor: str(a.maxBalanceMinor),
    description: a.description,
    metadata: { ...a.metadata },
    balance: {
      postedMinor: a.balance.postedMinor.toString(),
      pendingDebitsMinor: a.balance.pendingDebitsMinor.toString(),
      pendingCreditsMinor: a.balance.pendingCreditsMinor.toString(),
      availableMinor: a.balance.availableMinor.toString(),
      debitsPostedMinor: a.balance.debitsPostedMinor.toString(),
      creditsPostedMinor: a.balance.creditsPostedMinor.toString(),
    },
    entryCount: a.entryCount.toString(),
    createdBy: a.createdBy,
    createdAt: a.createdAt.toISOString(),
    closedBy: a.closedBy,
    closedAt: iso(a.closedAt),
    updatedAt: a.updatedAt.toISOString(),
  };
}

export function balanceAtJson(b: BalanceAt): BalanceAtDto {
  return {
    accountId: b.accountId,
    currency: b.currency,
    scale: b.scale,
    asOf: b.at.toISOString(),
    postedMinor: b.postedMinor.toString(),
    entrySeq: b.entrySeq.toString(),
    entryPostedAt: iso(b.entryPostedAt),
  };
}

export function entryPageJson(page: EntryPage): EntryPageDto {
  return {
    entries: page.entries.map((e) => ({
      accountId: e.accountId,
      seq: e.seq.toString(),
      transferId: e.transferId,
      kind: e.kind,
      side: e.side,
      amountMinor: e.amountMinor.toString(),
      balanceAfterMinor: e.balanceAfterMinor.toString(),
      counterpartyAccountId: e.counterpartyAccountId,
      description: e.description,
      postedAt: e.postedAt.toISOString(),
    })),
    nextCursor: page.nextCursor,
  };
}

function snapshotJson(s: BalanceSnapshot | null): BalanceSnapshotDto | null {
  if (s === null) return null;
  return {
    postedMinor: s.postedMinor.toString(),
    pendingDebitsMinor: s.pendingDebitsMinor.toString(),
    pendingCreditsMinor: s.pendingCreditsMinor.toString(),
    availableMinor: s.availableMinor.toString(),
  };
}

export function transferJson(t: TransferView): TransferDto {
  return {
    transferId: t.transferId,
    kind: t.kind,
    status: t.status,
    code: t.code,
    reason: t.reason,
    debitAccountId: t.debitAccountId,
    creditAccountId: t.creditAccountId,
    amountMinor: t.amountMinor.toString(),
    currency: t.currency,
    relatedTransferId: t.relatedTransferId,
    debitBalanceAfter: snapshotJson(t.debitBalanceAfter),
    creditBalanceAfter: snapshotJson(t.creditBalanceAfter),
    timeoutSeconds: t.timeoutSeconds,
    expiresAt: iso(t.expiresAt),
    pendingState: t.pendingState,
    settledByTransferId: t.settledByTransferId,
    settledAt: iso(t.settledAt),
    reversedMinor: t.reversedMinor.toString(),
    sourceSystem: t.sourceSystem,
    requestEventId: t.requestEventId,
    requestedAt: t.requestedAt.toISOString(),
    decidedAt: t.decidedAt.toISOString(),
    description: t.description,
    metadata: { ...t.metadata },
  };
}

/** DTO (validated) → the repository's NewAccount; omitted bounds stay omitted, null stays null. */
export function newAccountFrom(dto: CreateAccountDto, sourceSystem: string): NewAccount {
  const bound = (v: string | number | null | undefined): bigint | null | undefined =>
    v === undefined ? undefined : v === null ? null : BigInt(v);
  const min = bound(dto.minBalanceMinor);
  const max = bound(dto.maxBalanceMinor);
  return {
    id: dto.id,
    currency: dto.currency,
    ...(dto.scale === undefined ? {} : { scale: dto.scale }),
    ...(min === undefined ? {} : { minBalanceMinor: min }),
    ...(max === undefined ? {} : { maxBalanceMinor: max }),
    description: dto.description ?? null,
    metadata: dto.metadata ?? {},
    sourceSystem,
  };
}

/** Who asked, for the audit columns: `api-key:<name>` or `jwt:<subject>`, at most 128 chars. */
export function auditSource(principal: {
  readonly kind: string;
  readonly id: string;
  readonly apiKey?: { readonly name: string };
}): string {
  const who = principal.apiKey?.name ?? principal.id;
  return `${principal.kind}:${who}`.slice(0, 128);
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(field: string, code: string, message: string): Parsed<T> => ({
  ok: false,
  issues: [{ field, code, message }],
});

export function parseAccountIdParam(id: string): Parsed<string> {
  return isAccountId(id)
    ? ok(id)
    : bad('id', 'VALIDATION.ACCOUNT_ID', 'account id must be 1-128 visible ASCII characters');
}

export function parseTransferIdParam(id: string): Parsed<string> {
  return isUuid(id) ? ok(id.toLowerCase()) : bad('id', 'VALIDATION.UUID', 'must be a UUID');
}

/** `asOf`: an ISO 8601 date-time with a time zone (…Z or ±hh:mm). */
export function parseAsOf(raw: string | undefined): Parsed<Date | undefined> {
  if (raw === undefined || raw === '') return ok(undefined);
  const shape = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
  const at = new Date(raw);
  if (!shape.test(raw) || Number.isNaN(at.getTime())) {
    return bad('asOf', 'VALIDATION.DATE_TIME', 'must be an ISO 8601 date-time with a time zone');
  }
  return ok(at);
}

export interface EntryQuery {
  readonly limit: number;
  readonly cursor: string | null;
  readonly order: 'asc' | 'desc';
}

export function parseEntryQuery(q: {
  limit?: string;
  cursor?: string;
  order?: string;
}): Parsed<EntryQuery> {
  const issues: FieldIssue[] = [];
  let limit = 100;
  if (q.limit !== undefined && q.limit !== '') {
    if (!/^\d{1,4}$/.test(q.limit) || Number(q.limit) < 1 || Number(q.limit) > MAX_ENTRY_PAGE) {
      issues.push({
        field: 'limit',
        code: 'VALIDATION.LIMIT',
        message: `must be an integer from 1 to ${MAX_ENTRY_PAGE}`,
      });
    } else limit = Number(q.limit);
  }
  const cursor = q.cursor === undefined || q.cursor === '' ? null : q.cursor;
  if (cursor !== null && (!/^\d{1,19}$/.test(cursor) || BigInt(cursor) > INT64_MAX)) {
    issues.push({
      field: 'cursor',
      code: 'VALIDATION.CURSOR',
      message: 'must be a nextCursor returned by this API',
    });
  }
  const order = q.order === undefined || q.order === '' ? 'asc' : q.order;
  if (order !== 'asc' && order !== 'desc') {
    issues.push({ field: 'order', code: 'VALIDATION.ORDER', message: 'must be asc or desc' });
  }
  if (issues.length > 0) return { ok: false, issues };
  return ok({ limit, cursor, order: order as 'asc' | 'desc' });
}
