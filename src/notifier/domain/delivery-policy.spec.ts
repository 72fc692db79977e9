import {
  backoffDelay,
  decideRetry,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
  type RetryPolicy,
  seededRandom,
} from './retry-policy.js';
import {
  checkWebhookTarget,
  isPublicAddress,
  parseIp,
  type TargetPolicy,
} from './url-allowlist.js';
import { validateSubscription } from './subscription.js';

const policy: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 1000,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0,
  maxAgeMs: 3_600_000,
};

describe('retry schedule', () => {
  it('backs off exponentially up to the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0.5))).toEqual([
      1000, 2000, 4000, 8000, 10000, 10000,
    ]);
  });

  it('adds seeded jitter within [cap × (1 - jitter), cap]', () => {
    const p = { ...policy, jitter: 0.5 };
    const a = [1, 2, 3, 4].map((n) => backoffDelay(n, p, seededRandom(`k:${n}`)));
    const b = [1, 2, 3, 4].map((n) => backoffDelay(n, p, seededRandom(`k:${n}`)));
    expect(a).toEqual(b);
    a.forEach((d, i) => {
      const cap = Math.min(10_000, 1000 * 2 ** i);
      expect(d).toBeGreaterThanOrEqual(cap / 2);
      expect(d).toBeLessThanOrEqual(cap);
    });
    expect(
      new Set([1, 2, 3, 4, 5].map((s) => backoffDelay(3, p, seededRandom(s)))).size,
    ).toBeGreaterThan(1);
  });

  it('retries 5xx, 429 and network errors, honours Retry-After, and dead-letters at the limits', () => {
    const base = { firstAttemptAt: 0, now: 0, key: 'n-1', policy };
    expect(decideRetry({ ...base, attempt: 1, outcome: { kind: 'http', status: 204 } })).toEqual({
      action: 'delivered',
    });
    expect(decideRetry({ ...base, attempt: 1, outcome: { kind: 'http', status: 503 } })).toEqual({
      action: 'retry',
      delayMs: 1000,
      retryAt: 1000,
    });
    expect(
      decideRetry({ ...base, attempt: 2, outcome: { kind: 'network', code: 'ECONNREFUSED' } }),
    ).toMatchObject({ action: 'retry', delayMs: 2000 });
    expect(
      decideRetry({
        ...base,
        attempt: 1,
        outcome: { kind: 'http', status: 429, retryAfterMs: 7000 },
      }),
    ).toMatchObject({ delayMs: 7000 });
    expect(
      decideRetry({ ...base, attempt: 1, outcome: { kind: 'http', status: 400 } }),
    ).toMatchObject({ action: 'dead_letter', reason: 'DELIVERY.REJECTED' });
    expect(decideRetry({ ...base, attempt: 6, outcome: { kind: 'timeout' } })).toMatchObject({
      action: 'dead_letter',
      reason: 'DELIVERY.RETRIES_EXHAUSTED',
    });
    expect(
      decideRetry({ ...base, attempt: 2, now: 3_599_000, outcome: { kind: 'timeout' } }),
    ).toMatchObject({ action: 'dead_letter', reason: 'DELIVERY.MAX_AGE_EXCEEDED' });
    expect(
      decideRetry({
        ...base,
        attempt: 1,
        outcome: { kind: 'forbidden_target', reason: 'private' },
      }),
    ).toMatchObject({ reason: 'DELIVERY.TARGET_FORBIDDEN' });
  });

  it('default policy rides out a receiver outage of a few hours', () => {
    let t = 0;
    for (let attempt = 1; attempt < DEFAULT_RETRY_POLICY.maxAttempts; attempt++) {
      const d = decideRetry({
        attempt,
        outcome: { kind: 'http', status: 502 },
        firstAttemptAt: 0,
        now: t,
        key: 'k',
      });
      if (d.action !== 'retry') throw new Error(`gave up at attempt ${attempt}`);
      t = d.retryAt;
    }
    expect(t).toBeGreaterThan(3 * 3_600_000);
    expect(parseRetryAfter('120', 0)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:01:00 GMT', 0)).toBe(60_000);
  });
});

describe('webhook target allow-list', () => {
  const open: TargetPolicy = {
    allowedHosts: [],
    allowedCidrs: [],
    allowHttp: false,
    allowedPorts: [],
  };
  const check = (url: string, ips: string[], p: TargetPolicy = open): string => {
    const r = checkWebhookTarget(url, ips, p);
    return r.ok ? 'ok' : r.code;
  };

  it('allows https to public addresses', () => {
    expect(
      check('https://hooks.example.com/x', ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946']),
    ).toBe('ok');
  });

  it.each([
    ['http://hooks.example.com/x', ['93.184.216.34'], 'TARGET.SCHEME'],
    ['ftp://hooks.example.com/x', ['93.184.216.34'], 'TARGET.SCHEME'],
    ['https://user:pw@hooks.example.com/x', ['93.184.216.34'], 'TARGET.CREDENTIALS'],
    ['https://hooks.example.com/x', ['10.0.0.8'], 'TARGET.ADDRESS_NOT_ALLOWED'],
    ['https://hooks.example.com/x', ['93.184.216.34', '127.0.0.1'], 'TARGET.ADDRESS_NOT_ALLOWED'],
    ['https://169.254.169.254/latest/meta-data', [], 'TARGET.ADDRESS_NOT_ALLOWED'],
    ['https://[::ffff:169.254.169.254]/', [], 'TARGET.ADDRESS_NOT_ALLOWED'],
    ['https://[fd00:ec2::254]/', [], 'TARGET.ADDRESS_NOT_ALLOWED'],
    ['https://2130706433/', [], 'TARGET.ADDRESS_NOT_ALLOWED'],
    ['https://metadata.google.internal/', ['169.254.169.254'], 'TARGET.HOST_NOT_ALLOWED'],
    ['https://localhost:8443/', ['127.0.0.1'], 'TARGET.HOST_NOT_ALLOWED'],
    ['https://hooks.example.com/x', [], 'TARGET.UNRESOLVED'],
    ['not a url', [], 'TARGET.INVALID_URL'],
  ])('%s %j -> %s', (url, ips, code) => {
    expect(check(url, ips)).toBe(code);
  });

  it('honours host patterns, ports and explicitly allowed private ranges', () => {
    const p: TargetPolicy = {
      allowedHosts: ['*.corp.example', 'hooks.example.com'],
      allowedCidrs: ['127.0.0.1/32'],
      allowHttp: true,
      allowedPorts: [443, 8080],
    };
    expect(check('https://a.b.corp.example/', ['93.184.216.34'], p)).toBe('ok');
    expect(check('https://corp.example/', ['93.184.216.34'], p)).toBe('TARGET.HOST_NOT_ALLOWED');
    expect(check('https://evil.com/', ['93.184.216.34'], p)).toBe('TARGET.HOST_NOT_ALLOWED');
    expect(check('https://hooks.example.com:9000/', ['93.184.216.34'], p)).toBe(
      'TARGET.PORT_NOT_ALLOWED',
    );
    // An address literal inside an allowed CIDR counts as listed even when hosts are restricted.
    expect(check('http://127.0.0.1:8080/hook', [], p)).toBe('ok');
    expect(check('http://127.0.0.2:8080/hook', [], p)).toBe('TARGET.HOST_NOT_ALLOWED');
    const loopback: TargetPolicy = {
      allowedHosts: [],
      allowedCidrs: ['127.0.0.1/32'],
      allowHttp: true,
      allowedPorts: [],
    };
    expect(check('http://127.0.0.1:8080/hook', [], loopback)).toBe('ok');
    expect(check('http://127.0.0.2:8080/hook', [], loopback)).toBe('TARGET.ADDRESS_NOT_ALLOWED');
  });

  it('parses IPv4 and IPv6 forms', () => {
    expect([...parseIp('::1')!]).toEqual([...new Array<number>(15).fill(0), 1]);
    expect(parseIp('1.2.3.256')).toBeNull();
    expect(parseIp('1::2::3')).toBeNull();
    expect([
      isPublicAddress('8.8.8.8'),
      isPublicAddress('100.64.1.1'),
      isPublicAddress('2002:a00:1::'),
      isPublicAddress('64:ff9b::808:808'),
    ]).toEqual([true, false, false, true]);
  });
});

describe('subscriptions and label matchers', () => {
  it('validates and applies Alertmanager-like defaults', () => {
    const r = validateSubscription({
      id: 'am',
      receiver: { type: 'alertmanager', url: 'http://127.0.0.1:9093' },
    });
    expect(r.ok && r.value.subscription.route).toEqual({
      groupBy: ['...'],
      groupWaitMs: 0,
      groupIntervalMs: 10_000,
      repeatIntervalMs: 300_000,
    });
    const bad = validateSubscription({
      id: 'x y',
      receiver: { type: 'webhook', url: 'nope', secret: 'short' },
      filter: { minSeverity: 'urgent', matchers: ['a=~(b+)+'] },
      route: { groupWait: '5' },
    });
    expect(bad.ok ? [] : bad.errors.map((e) => `${e.field} ${e.code}`)).toEqual([
      'id SUBSCRIPTION.INVALID_ID',
      'receiver.url SUBSCRIPTION.INVALID_URL',
      'receiver.secret SUBSCRIPTION.WEAK_SECRET',
      'filter.minSeverity SUBSCRIPTION.INVALID_VALUE',
      'filter.matchers[0].value MATCHER.UNSAFE_REGEX',
      'route.groupWaitMs SUBSCRIPTION.INVALID_DURATION',
    ]);
  });
});
