import { createHash } from 'node:crypto';

/**
 * Deterministic identifiers. Alert ids and event ids are derived from their inputs rather
 * than drawn at random, so replaying the same lines from the same restored state produces
 * the same events with the same ids: the outbox (and every consumer) de-duplicates them.
 */

/** Stable 16-hex-digit fingerprint of rule id and group values (Alertmanager's width). */
export function alertFingerprint(
  ruleId: string,
  group: ReadonlyArray<readonly [string, string]>,
): string {
  return createHash('sha256')
    .update(JSON.stringify([ruleId, group]))
    .digest('hex')
    .slice(0, 16);
}

/** Name-based UUID (RFC 9562 version 5 layout: SHA-1, variant 10). */
export function nameUuid(...parts: ReadonlyArray<string | number>): string {
  const h = createHash('sha1')
    .update(JSON.stringify(['streamline', ...parts]))
    .digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** Display form of a group: `host=node-7,source=hdfs`; values needing it are JSON-quoted. */
export function formatGroupKey(group: ReadonlyArray<readonly [string, string]>): string {
  return group
    .map(([k, v]) => `${k}=${/^[^,="\\\s]*$/.test(v) && v !== '' ? v : JSON.stringify(v)}`)
    .join(',');
}
