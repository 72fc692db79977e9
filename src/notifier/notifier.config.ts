import {
  ConfigError,
  envBool,
  envInt,
  envList,
  envOptional,
  envString,
  envUrl,
  type Env,
} from '../platform/config/env.js';
import {
  DEFAULT_RETRY_POLICY,
  parseIp,
  type RetryPolicy,
  type TargetPolicy,
} from './domain/index.js';

/** Settings of the notifier service (beyond the platform's), parsed once at boot. */
export interface NotifierSettings {
  readonly groupId: string;
  readonly chunkSize: number;
  readonly fetchMaxWaitMs: number;
  /** Where webhooks may go: WEBHOOK_ALLOWLIST, WEBHOOK_ALLOW_HTTP, WEBHOOK_ALLOWED_PORTS. */
  readonly targetPolicy: TargetPolicy;
  /** The Alertmanager the built-in receiver posts to; null = that receiver kind is off. */
  readonly alertmanagerUrl: string | null;
  /** 32-byte key for subscription secrets at rest; null = stored in clear (warned at boot). */
  readonly secretKey: Buffer | null;
  /** Base URL for links in payloads (generatorURL, externalURL). */
  readonly externalUrl: string;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  /** Subscriptions delivered to at the same time (each subscription is delivered in order). */
  readonly deliveryConcurrency: number;
  readonly pollMs: number;
  /** Consumed event ids (for de-duplication) and finished deliveries are kept this long. */
  readonly retentionDays: number;
}

/**
 * WEBHOOK_ALLOWLIST: comma-separated host names (`hooks.example.com`, `*.example.com`) and
 * CIDRs (`127.0.0.1/32`). Host names restrict webhooks to those hosts; CIDRs allow addresses
 * that are otherwise refused (loopback, private ranges) — a loopback receiver must be listed
 * explicitly. Plain http needs WEBHOOK_ALLOW_HTTP=true.
 */
export function parseTargetPolicy(env: Env): TargetPolicy {
  const allowedHosts: string[] = [];
  const allowedCidrs: string[] = [];
  for (const entry of envList(env, 'WEBHOOK_ALLOWLIST', [])) {
    const [addr, bits] = entry.split('/');
    if (addr !== undefined && parseIp(addr) !== null) {
      const max = parseIp(addr)!.length * 8;
      if (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))
        throw new ConfigError('WEBHOOK_ALLOWLIST', `has an invalid CIDR "${entry}"`);
      allowedCidrs.push(bits === undefined ? `${addr}/${max}` : entry);
    } else if (
      /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(entry)
    ) {
      allowedHosts.push(entry.toLowerCase());
    } else {
      throw new ConfigError(
        'WEBHOOK_ALLOWLIST',
        `has an entry that is neither a host nor a CIDR: "${entry}"`,
      );
    }
  }
  const allowedPorts = envList(env, 'WEBHOOK_ALLOWED_PORTS', []).map((p) => {
    if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535)
      throw new ConfigError('WEBHOOK_ALLOWED_PORTS', `has an invalid port "${p}"`);
    return Number(p);
  });
  return {
    allowedHosts,
    allowedCidrs,
    allowHttp: envBool(env, 'WEBHOOK_ALLOW_HTTP', false),
    allowedPorts,
  };
}

function parseKey(env: Env): Buffer | null {
  const raw = envOptional(env, 'NOTIFIER_SECRET_KEY');
  if (raw === undefined) return null;
  const key = /^[0-9a-fA-F]{64}$/.test(raw) ? Buffer.from(raw, 'hex') : Buffer.from(raw, 'base64');
  if (key.length !== 32)
    throw new ConfigError('NOTIFIER_SECRET_KEY', 'must be 32 bytes, as 64 hex digits or base64');
  return key;
}

export function loadNotifierSettings(env: Env): NotifierSettings {
  const am = envOptional(env, 'ALERTMANAGER_URL');
  return {
    groupId: envString(env, 'NOTIFIER_GROUP_ID', 'notifier'),
    chunkSize: envInt(env, 'NOTIFIER_CHUNK_SIZE', 500, { min: 1, max: 10_000 }),
    fetchMaxWaitMs: envInt(env, 'NOTIFIER_FETCH_MAX_WAIT_MS', 20, { min: 1, max: 5000 }),
    targetPolicy: parseTargetPolicy(env),
    alertmanagerUrl: am === undefined ? null : envUrl(env, 'ALERTMANAGER_URL').replace(/\/+$/, ''),
    secretKey: parseKey(env),
    externalUrl: envUrl(env, 'STREAMLINE_EXTERNAL_URL', 'http://127.0.0.1:3002').replace(
      /\/+$/,
      '',
    ),
    retry: {
      maxAttempts: envInt(env, 'NOTIFIER_RETRY_MAX_ATTEMPTS', DEFAULT_RETRY_POLICY.maxAttempts, {
        min: 1,
        max: 1000,
      }),
      baseDelayMs: envInt(env, 'NOTIFIER_RETRY_BASE_DELAY_MS', DEFAULT_RETRY_POLICY.baseDelayMs, {
        min: 10,
      }),
      maxDelayMs: envInt(env, 'NOTIFIER_RETRY_MAX_DELAY_MS', DEFAULT_RETRY_POLICY.maxDelayMs, {
        min: 10,
      }),
      factor: DEFAULT_RETRY_POLICY.factor,
      jitter: DEFAULT_RETRY_POLICY.jitter,
      maxAgeMs: envInt(env, 'NOTIFIER_RETRY_MAX_AGE_MS', DEFAULT_RETRY_POLICY.maxAgeMs, {
        min: 1000,
      }),
    },
    timeoutMs: envInt(env, 'WEBHOOK_TIMEOUT_MS', 10_000, { min: 100, max: 120_000 }),
    deliveryConcurrency: envInt(env, 'NOTIFIER_DELIVERY_CONCURRENCY', 16, { min: 1, max: 256 }),
    pollMs: envInt(env, 'NOTIFIER_DELIVERY_POLL_MS', 1000, { min: 50, max: 60_000 }),
    retentionDays: envInt(env, 'NOTIFIER_RETENTION_DAYS', 30, { min: 1 }),
  };
}
