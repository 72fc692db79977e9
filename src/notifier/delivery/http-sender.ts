import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { type LookupFunction } from 'node:net';
import {
  checkWebhookTarget,
  type DeliveryOutcome,
  parseIp,
  parseRetryAfter,
  type TargetPolicy,
} from '../domain/index.js';

export interface SendResult {
  readonly outcome: DeliveryOutcome;
  readonly durationMs: number;
}

const RESPONSE_BODY_MAX = 64 * 1024;

// Keep-alive: a socket is only ever opened to a checked address (below); reusing it for the
// same host and port cannot reach anything else.
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 16, maxFreeSockets: 4, timeout: 30_000 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 16, maxFreeSockets: 4, timeout: 30_000 }),
};

/**
 * POSTs a body. With a target policy, the host is resolved once, every address is checked
 * against the allow-list (checkWebhookTarget), and the connection goes to a checked address
 * (the socket never resolves again, so DNS rebinding cannot swap in an internal address).
 * Redirects are not followed (a 3xx is the receiver's answer). Never throws.
 */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { readonly timeoutMs: number; readonly policy: TargetPolicy | null },
): Promise<SendResult> {
  const started = performance.now();
  const done = (outcome: DeliveryOutcome): SendResult => ({
    outcome,
    durationMs: Math.round(performance.now() - started),
  });
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return done({ kind: 'forbidden_target', reason: 'not an absolute URL' });
  }
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let pinned: { address: string; family: number } | null = null;
  if (options.policy) {
    let addresses: Array<{ address: string; family: number }>;
    if (parseIp(host)) addresses = [{ address: host, family: host.includes(':') ? 6 : 4 }];
    else {
      try {
        addresses = await dnsLookup(host, { all: true, verbatim: true });
      } catch (err) {
        return done({ kind: 'network', code: (err as NodeJS.ErrnoException).code ?? 'EAI_FAIL' });
      }
    }
    const check = checkWebhookTarget(
      url,
      addresses.map((a) => a.address),
      options.policy,
    );
    if (!check.ok)
      return done({ kind: 'forbidden_target', reason: `${check.code}: ${check.message}` });
    pinned = addresses[0] ?? null;
  }
  const pin = pinned;
  const lookup: LookupFunction | undefined = pin
    ? (_hostname, opts, cb) => {
        const p = pin;
        if ((opts as { all?: boolean }).all)
          (cb as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(
            null,
            [p],
          );
        else cb(null, p.address, p.family);
      }
    : undefined;
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (o: DeliveryOutcome): void => {
      if (settled) return;
      settled = true;
      resolve(done(o));
    };
    const req = lib.request(
      u,
      {
        method: 'POST',
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        ...(lookup ? { lookup } : {}),
        agent: u.protocol === 'https:' ? agents.https : agents.http,
      },
      (res) => {
        let seen = 0;
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > RESPONSE_BODY_MAX) res.destroy();
        });
        const status = res.statusCode ?? 0;
        const retryAfter = res.headers['retry-after'];
        const end = (): void =>
          finish({
            kind: 'http',
            status,
            retryAfterMs: parseRetryAfter(
              typeof retryAfter === 'string' ? retryAfter : undefined,
              Date.now(),
            ),
          });
        res.on('end', end);
        res.on('close', end);
        res.on('error', end);
      },
    );
    req.setTimeout(options.timeoutMs, () => {
      req.destroy(new Error('timeout'));
      finish({ kind: 'timeout' });
    });
    req.on('error', (err: NodeJS.ErrnoException) =>
      finish({ kind: 'network', code: err.code ?? err.message }),
    );
    req.end(body);
  });
}
