import { createHash } from 'node:crypto';
import { canonicalJson } from './body.js';

/**
 * `Idempotency-Key` header values: 1–255 visible ASCII characters (letters, digits and
 * punctuation; a UUID is the usual choice). Anything else is a 400, before any lookup.
 */
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

export function isValidIdempotencyKey(key: string): boolean {
  return KEY_RE.test(key);
}

/**
 * Fingerprint of a request for idempotency: the route and the canonical JSON of the parsed body,
 * so re-sending the same events with other whitespace or key order is the same request, while a
 * different body (or the same body on another route) under the same key is a conflict (409).
 */
export function requestFingerprint(route: string, body: unknown): string {
  return createHash('sha256').update(route).update('\n').update(canonicalJson(body)).digest('hex');
}
