import { checkWebhookTarget } from './domain/index.js';
import { loadNotifierSettings, parseTargetPolicy } from './notifier.config.js';

describe('notifier settings', () => {
  it('splits WEBHOOK_ALLOWLIST into hosts and CIDRs; loopback only when listed', () => {
    const policy = parseTargetPolicy({
      WEBHOOK_ALLOWLIST: 'hooks.example.com, *.corp.example.org, 127.0.0.1, 10.1.0.0/16',
      WEBHOOK_ALLOW_HTTP: 'true',
    });
    expect(policy.allowedHosts).toEqual(['hooks.example.com', '*.corp.example.org']);
    expect(policy.allowedCidrs).toEqual(['127.0.0.1/32', '10.1.0.0/16']);
    expect(checkWebhookTarget('http://127.0.0.1:4000/hook', [], policy).ok).toBe(true);
    const none = parseTargetPolicy({});
    expect(checkWebhookTarget('http://127.0.0.1:4000/hook', [], none)).toMatchObject({
      ok: false,
      code: 'TARGET.SCHEME',
    });
    expect(checkWebhookTarget('https://127.0.0.1:4000/hook', [], none)).toMatchObject({
      ok: false,
      code: 'TARGET.ADDRESS_NOT_ALLOWED',
    });
  });

  it('names the variable on bad input', () => {
    expect(() => parseTargetPolicy({ WEBHOOK_ALLOWLIST: 'http://x' })).toThrow(/WEBHOOK_ALLOWLIST/);
    expect(() => parseTargetPolicy({ WEBHOOK_ALLOWLIST: '10.0.0.0/99' })).toThrow(
      /WEBHOOK_ALLOWLIST/,
    );
    expect(() => loadNotifierSettings({ NOTIFIER_SECRET_KEY: 'short' })).toThrow(
      /NOTIFIER_SECRET_KEY/,
    );
    expect(() => parseTargetPolicy({ WEBHOOK_ALLOWED_PORTS: '0' })).toThrow(
      /WEBHOOK_ALLOWED_PORTS/,
    );
  });

  it('has safe defaults', () => {
    const s = loadNotifierSettings({});
    expect(s.targetPolicy).toEqual({
      allowedHosts: [],
      allowedCidrs: [],
      allowHttp: false,
      allowedPorts: [],
    });
    expect(s.alertmanagerUrl).toBeNull();
    expect(s.secretKey).toBeNull();
    expect(s.retry.maxAttempts).toBeGreaterThan(1);
  });
});
