import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: `X-Streamline-Signature: t=<unix seconds>,v1=<hex>` where
 * v1 = HMAC-SHA256(secret, `${t}.${body}`). Signing the timestamp with the body lets a
 * receiver reject replays older than a tolerance. During secret rotation the header can
 * carry several v1 values (one per secret) and a receiver accepts any it can verify.
 */
export const SIGNATURE_HEADER = 'X-Streamline-Signature';
export const IDEMPOTENCY_HEADER = 'X-Streamline-Idempotency-Key';
export const DEFAULT_TOLERANCE_SEC = 300;

export type VerifyResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code:
        'SIGNATURE.MALFORMED' | 'SIGNATURE.TIMESTAMP_OUT_OF_RANGE' | 'SIGNATURE.MISMATCH';
    };

function mac(secret: string, timestampSec: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestampSec}.`).update(body).digest('hex');
}

/** The header value for `body` at `timestampSec`, signed with each of `secrets`. */
export function signWebhook(
  body: string | Buffer,
  secrets: string | readonly string[],
  timestampSec: number,
): string {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  return [`t=${timestampSec}`, ...list.map((s) => `v1=${mac(s, timestampSec, body)}`)].join(',');
}

/** Verifies a header against the raw body; accepts if any v1 matches any secret. */
export function verifyWebhook(
  header: string | undefined,
  body: string | Buffer,
  secrets: string | readonly string[],
  nowSec: number,
  toleranceSec = DEFAULT_TOLERANCE_SEC,
): VerifyResult {
  if (!header) return { ok: false, code: 'SIGNATURE.MALFORMED' };
  let t: number | null = null;
  const sigs: string[] = [];
  for (const part of header.split(',')) {
    const [k, v] = part.trim().split('=', 2);
    if (k === 't' && v !== undefined && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === 'v1' && v !== undefined && /^[0-9a-f]{64}$/.test(v)) sigs.push(v);
  }
  if (t === null || sigs.length === 0) return { ok: false, code: 'SIGNATURE.MALFORMED' };
  if (Math.abs(nowSec - t) > toleranceSec)
    return { ok: false, code: 'SIGNATURE.TIMESTAMP_OUT_OF_RANGE' };
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  for (const secret of list) {
    const expected = Buffer.from(mac(secret, t, body), 'hex');
    for (const sig of sigs) {
      if (timingSafeEqual(expected, Buffer.from(sig, 'hex'))) return { ok: true };
    }
  }
  return { ok: false, code: 'SIGNATURE.MISMATCH' };
}

export interface DeliveryHeaderInput {
  readonly body: string;
  readonly secrets: string | readonly string[];
  readonly nowSec: number;
  /** The notification id: the same on every attempt, so receivers can de-duplicate. */
  readonly idempotencyKey: string;
  readonly attempt: number;
}

/** Headers for one webhook delivery attempt. */
export function webhookHeaders(input: DeliveryHeaderInput): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'Streamline-Notifier/1',
    [SIGNATURE_HEADER]: signWebhook(input.body, input.secrets, input.nowSec),
    [IDEMPOTENCY_HEADER]: input.idempotencyKey,
    'Idempotency-Key': input.idempotencyKey,
    'X-Streamline-Delivery-Attempt': String(input.attempt),
  };
}
