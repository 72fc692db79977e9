import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { quoteIdent, type SqlExecutor } from '../database/sql.js';

/**
 * API keys: `sl_<id>_<secret>`. The id is public (it names the key in logs and usage
 * counters); only a SHA-256 of the 256-bit random secret is stored, so a database leak yields
 * no usable key. Scopes are `<stream>:<action>` (e.g. `ledger:write`, `alerts:read`,
 * `transfers:publish`); `admin` grants everything.
 */
export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly string[];
  readonly revokedAt: Date | null;
  /** Requests allowed per calendar month (UTC); null = unlimited. */
  readonly monthlyQuota: number | null;
  /** Requests allowed per second; null = the server default. */
  readonly ratePerSecond: number | null;
}

export const AUTH_SCHEMA = 'auth';

export function apiKeysDdl(): string {
  const s = quoteIdent(AUTH_SCHEMA);
  return `
    CREATE SCHEMA IF NOT EXISTS ${s};
    CREATE TABLE IF NOT EXISTS ${s}.api_keys (
      id              text PRIMARY KEY,
      name            text NOT NULL,
      key_hash        text NOT NULL,
      scopes          text[] NOT NULL,
      monthly_quota   bigint,
      rate_per_second integer,
      created_at      timestamptz NOT NULL DEFAULT now(),
      revoked_at      timestamptz
    );`;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function parseApiKey(raw: string): { id: string; secret: string } | undefined {
  const m = /^sl_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/.exec(raw.trim());
  return m ? { id: m[1] as string, secret: m[2] as string } : undefined;
}

export function generateApiKey(): { id: string; secret: string; key: string } {
  const id = randomBytes(6).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, key: `sl_${id}_${secret}` };
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function hasScope(granted: readonly string[], required: string): boolean {
  return granted.includes('admin') || granted.includes(required);
}

interface Row {
  id: string;
  name: string;
  key_hash: string;
  scopes: string[];
  monthly_quota: string | null;
  rate_per_second: number | null;
  revoked_at: Date | null;
}

export async function createApiKey(
  db: SqlExecutor,
  input: {
    name: string;
    scopes: readonly string[];
    monthlyQuota?: number | null;
    ratePerSecond?: number | null;
  },
): Promise<{ id: string; key: string }> {
  const { id, secret, key } = generateApiKey();
  await db.query(
    `INSERT INTO auth.api_keys (id, name, key_hash, scopes, monthly_quota, rate_per_second) VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      id,
      input.name,
      hashSecret(secret),
      [...input.scopes],
      input.monthlyQuota ?? null,
      input.ratePerSecond ?? null,
    ],
  );
  return { id, key };
}

export async function revokeApiKey(db: SqlExecutor, id: string): Promise<boolean> {
  const res = (await db.query(
    'UPDATE auth.api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL',
    [id],
  )) as {
    rowCount?: number | null;
  };
  return (res.rowCount ?? 0) > 0;
}

export async function listApiKeys(db: SqlExecutor): Promise<ApiKeyRecord[]> {
  const res = (await db.query(
    'SELECT id, name, key_hash, scopes, monthly_quota, rate_per_second, revoked_at FROM auth.api_keys ORDER BY created_at',
  )) as { rows: Row[] };
  return res.rows.map(toRecord);
}

function toRecord(r: Row): ApiKeyRecord {
  return {
    id: r.id,
    name: r.name,
    scopes: r.scopes,
    revokedAt: r.revoked_at,
    monthlyQuota: r.monthly_quota === null ? null : Number(r.monthly_quota),
    ratePerSecond: r.rate_per_second,
  };
}

/** Looks keys up by id with a short cache, so each request costs one hash, not one query. */
export class ApiKeyVerifier {
  private readonly cache = new Map<string, { row: Row | null; at: number }>();

  constructor(
    private readonly db: SqlExecutor,
    private readonly cacheTtlMs = 5000,
  ) {}

  async verify(raw: string): Promise<ApiKeyRecord | undefined> {
    const parsed = parseApiKey(raw);
    if (!parsed) return undefined;
    const row = await this.lookup(parsed.id);
    if (!row || row.revoked_at !== null) return undefined;
    if (!secretMatches(parsed.secret, row.key_hash)) return undefined;
    return toRecord(row);
  }

  private async lookup(id: string): Promise<Row | null> {
    const hit = this.cache.get(id);
    if (hit && Date.now() - hit.at < this.cacheTtlMs) return hit.row;
    const res = (await this.db.query(
      'SELECT id, name, key_hash, scopes, monthly_quota, rate_per_second, revoked_at FROM auth.api_keys WHERE id = $1',
      [id],
    )) as { rows: Row[] };
    const row = res.rows[0] ?? null;
    this.cache.set(id, { row, at: Date.now() });
    return row;
  }
}
