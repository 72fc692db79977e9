/**
 * Webhook target checks, pure given the addresses the host name resolved to (the service
 * resolves, calls this, then connects to one of the checked addresses — never resolving
 * again — so DNS rebinding cannot swap in an internal address).
 *
 * Denied unless allow-listed: non-http(s) schemes, plain http, credentials in the URL,
 * hosts outside `allowedHosts` (when given), `localhost`/`*.localhost`/`*.internal`/
 * `metadata.*` names, and every address in a loopback, private, link-local (cloud metadata
 * 169.254.169.254, fd00:ec2::254), carrier-grade NAT, multicast, documentation, benchmark
 * or reserved range — including IPv4 addresses embedded in IPv6 (mapped, NAT64, 6to4).
 */
export interface TargetPolicy {
  /** Host patterns: exact names or `*.example.com` (any depth). Empty = any public host. */
  readonly allowedHosts: readonly string[];
  /** CIDRs allowed despite being non-public, e.g. ["127.0.0.1/32"] for a loopback test receiver. */
  readonly allowedCidrs: readonly string[];
  /** Allow plain http (only sensible together with allowedCidrs for local receivers). */
  readonly allowHttp: boolean;
  /** Allowed ports; empty = any. */
  readonly allowedPorts: readonly number[];
}

export const DEFAULT_TARGET_POLICY: TargetPolicy = {
  allowedHosts: [],
  allowedCidrs: [],
  allowHttp: false,
  allowedPorts: [],
};

export type TargetCheck =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly code:
        | 'TARGET.INVALID_URL'
        | 'TARGET.SCHEME'
        | 'TARGET.CREDENTIALS'
        | 'TARGET.HOST_NOT_ALLOWED'
        | 'TARGET.PORT_NOT_ALLOWED'
        | 'TARGET.UNRESOLVED'
        | 'TARGET.ADDRESS_NOT_ALLOWED';
      readonly message: string;
    };

interface Cidr {
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

const DENIED_RANGES = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.0.0.0/24',
  '192.0.2.0/24',
  '192.88.99.0/24',
  '192.168.0.0/16',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '::/128',
  '::1/128',
  '100::/64',
  '2001::/23',
  '2001:db8::/32',
  'fc00::/7',
  'fe80::/10',
  'fec0::/10',
  'ff00::/8',
].map((c) => parseCidr(c)!);

const DENIED_NAMES = [/^localhost$/, /\.localhost$/, /\.internal$/, /^metadata\./, /\.local$/];

/** Parses an IPv4 or IPv6 address into 4 or 16 bytes; null when it is neither. */
export function parseIp(text: string): Uint8Array | null {
  const t = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(t);
  if (v4) {
    const b = v4.slice(1).map(Number);
    return b.every((x) => x <= 255) ? Uint8Array.from(b) : null;
  }
  if (!t.includes(':') || t.includes('%')) return null;
  let head = t;
  let tail4: number[] = [];
  const m4 = /^(.*:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(t);
  if (m4) {
    const b = parseIp(m4[2]!);
    if (!b) return null;
    tail4 = [...b];
    head = m4[1]!.endsWith('::') ? m4[1]! : m4[1]!.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string): number[] | null => {
    if (s === '') return [];
    const groups = s.split(':');
    const out: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      const v = parseInt(g, 16);
      out.push(v >> 8, v & 0xff);
    }
    return out;
  };
  const left = parse(halves[0]!);
  const right = halves.length === 2 ? parse(halves[1]!) : [];
  if (!left || !right) return null;
  const total = left.length + right.length + tail4.length;
  if (halves.length === 1 ? total !== 16 : total > 14) return null;
  const bytes = new Uint8Array(16);
  bytes.set(left, 0);
  bytes.set([...right, ...tail4], 16 - right.length - tail4.length);
  return bytes;
}

export function parseCidr(text: string): Cidr | null {
  const [addr, bits] = text.split('/');
  const bytes = addr === undefined ? null : parseIp(addr);
  if (!bytes) return null;
  const prefix = bits === undefined ? bytes.length * 8 : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bytes.length * 8) return null;
  return { bytes, prefix };
}

function inCidr(ip: Uint8Array, c: Cidr): boolean {
  if (ip.length !== c.bytes.length) return false;
  let bits = c.prefix;
  for (let i = 0; i < ip.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip[i]! & mask) !== (c.bytes[i]! & mask)) return false;
  }
  return true;
}

/** IPv4 addresses hidden in IPv6 forms (mapped, compatible, NAT64, 6to4). */
function embeddedV4(ip: Uint8Array): Uint8Array | null {
  if (ip.length !== 16) return null;
  const zeros = (from: number, to: number): boolean => ip.subarray(from, to).every((b) => b === 0);
  if (zeros(0, 10) && ip[10] === 0xff && ip[11] === 0xff) return ip.slice(12);
  if (zeros(0, 12) && !zeros(12, 16)) return ip.slice(12);
  if (ip[0] === 0x00 && ip[1] === 0x64 && ip[2] === 0xff && ip[3] === 0x9b && zeros(4, 12))
    return ip.slice(12);
  if (ip[0] === 0x20 && ip[1] === 0x02) return ip.slice(2, 6);
  return null;
}

/** True when `ip` is a public unicast address. */
export function isPublicAddress(text: string): boolean {
  const ip = parseIp(text);
  if (!ip) return false;
  if (DENIED_RANGES.some((c) => inCidr(ip, c))) return false;
  const v4 = embeddedV4(ip);
  return v4 === null || !DENIED_RANGES.some((c) => inCidr(v4, c));
}

function hostAllowed(host: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => {
    const pat = p.toLowerCase();
    return pat.startsWith('*.')
      ? host.endsWith(pat.slice(1)) && host.length > pat.length - 1
      : host === pat;
  });
}

export function checkWebhookTarget(
  url: string,
  resolvedAddresses: readonly string[],
  policy: TargetPolicy = DEFAULT_TARGET_POLICY,
): TargetCheck {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, code: 'TARGET.INVALID_URL', message: 'not an absolute URL' };
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    return { ok: false, code: 'TARGET.SCHEME', message: `scheme ${u.protocol} is not allowed` };
  if (u.protocol === 'http:' && !policy.allowHttp)
    return { ok: false, code: 'TARGET.SCHEME', message: 'plain http is not allowed; use https' };
  if (u.username !== '' || u.password !== '')
    return {
      ok: false,
      code: 'TARGET.CREDENTIALS',
      message: 'credentials in the URL are not allowed; use the signing secret',
    };
  const host = u.hostname.toLowerCase().replace(/\.$/, '');
  const allowedCidrs = policy.allowedCidrs.map(parseCidr).filter((c): c is Cidr => c !== null);
  const inAllowed = (a: string): boolean => {
    const ip = parseIp(a);
    return (
      ip !== null &&
      allowedCidrs.some(
        (c) => inCidr(ip, c) || (embeddedV4(ip) !== null && inCidr(embeddedV4(ip)!, c)),
      )
    );
  };
  const literal = parseIp(host);
  // An address literal inside an allow-listed CIDR counts as a listed host.
  const listed =
    hostAllowed(host, policy.allowedHosts) ||
    (literal !== null && inAllowed(host.replace(/^\[|\]$/g, '')));
  if (policy.allowedHosts.length > 0 && !listed)
    return {
      ok: false,
      code: 'TARGET.HOST_NOT_ALLOWED',
      message: `host ${host} is not in the allow-list`,
    };
  const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
  if (policy.allowedPorts.length > 0 && !policy.allowedPorts.includes(port))
    return { ok: false, code: 'TARGET.PORT_NOT_ALLOWED', message: `port ${port} is not allowed` };
  const addresses = literal ? [host.replace(/^\[|\]$/g, '')] : resolvedAddresses;
  if (
    !literal &&
    !listed &&
    DENIED_NAMES.some((re) => re.test(host)) &&
    !addresses.every(inAllowed)
  ) {
    return {
      ok: false,
      code: 'TARGET.HOST_NOT_ALLOWED',
      message: `host ${host} is an internal name`,
    };
  }
  if (addresses.length === 0)
    return { ok: false, code: 'TARGET.UNRESOLVED', message: `host ${host} has no addresses` };
  for (const a of addresses) {
    if (parseIp(a) === null)
      return {
        ok: false,
        code: 'TARGET.ADDRESS_NOT_ALLOWED',
        message: `${a} is not an IP address`,
      };
    if (!isPublicAddress(a) && !inAllowed(a)) {
      return {
        ok: false,
        code: 'TARGET.ADDRESS_NOT_ALLOWED',
        message: `${host} resolves to ${a}, a non-public address`,
      };
    }
  }
  return { ok: true };
}
