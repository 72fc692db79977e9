import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Minimal HS256 JWT verification for user-facing reads (`Authorization: Bearer <jwt>`):
 * signature, `exp`/`nbf` with a small leeway, optional issuer/audience, and scopes from the
 * `scope` (space-separated) or `scopes` (array) claim. Only HS256 is accepted — the algorithm
 * in the header is checked, never trusted.
 */
export interface JwtClaims {
  readonly sub?: string;
  readonly scopes: readonly string[];
  readonly exp?: number;
}

export interface JwtOptions {
  readonly secret: string;
  readonly issuer?: string;
  readonly audience?: string;
  readonly leewaySeconds?: number;
}

function b64urlJson(part: string): unknown {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

export function signJwt(payload: Record<string, unknown>, secret: string): string {
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const sig = createHmac('sha256', secret).update(`${header}.${body}`).digest('base64url');
  return `${header}.${body}.${sig}`;
}

export function verifyJwt(
  token: string,
  options: JwtOptions,
  nowSeconds = Date.now() / 1000,
): JwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  try {
    const header = b64urlJson(h) as { alg?: unknown };
    if (header.alg !== 'HS256') return undefined;
    const expected = createHmac('sha256', options.secret).update(`${h}.${p}`).digest();
    const given = Buffer.from(s, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const claims = b64urlJson(p) as Record<string, unknown>;
    const leeway = options.leewaySeconds ?? 30;
    if (typeof claims.exp === 'number' && nowSeconds > claims.exp + leeway) return undefined;
    if (typeof claims.nbf === 'number' && nowSeconds + leeway < claims.nbf) return undefined;
    if (options.issuer !== undefined && claims.iss !== options.issuer) return undefined;
    if (options.audience !== undefined) {
      const aud = claims.aud;
      const ok = Array.isArray(aud) ? aud.includes(options.audience) : aud === options.audience;
      if (!ok) return undefined;
    }
    const scopes = Array.isArray(claims.scopes)
      ? claims.scopes.filter((x): x is string => typeof x === 'string')
      : typeof claims.scope === 'string'
        ? claims.scope.split(' ').filter(Boolean)
        : [];
    return {
      scopes,
      ...(typeof claims.sub === 'string' ? { sub: claims.sub } : {}),
      ...(typeof claims.exp === 'number' ? { exp: claims.exp } : {}),
    };
  } catch {
    return undefined;
  }
}
