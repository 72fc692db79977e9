import { hash } from 'node:crypto';

/** RFC 9562 textual UUID (any version), case-insensitive. */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}

/**
 * Name-based UUID (version 5, SHA-1) of `name` in `namespace` (RFC 9562 §5.5). The same inputs
 * always give the same id, which is what makes outbox event ids replay-proof.
 */
export function uuidV5(name: string, namespace: string): string {
  const bytes = hash(
    'sha1',
    Buffer.concat([namespaceBytes(namespace), Buffer.from(name, 'utf8')]),
    'buffer',
  );
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Namespaces are few and constant: parse each once. */
const NAMESPACE_BYTES = new Map<string, Buffer>();

function namespaceBytes(namespace: string): Buffer {
  let bytes = NAMESPACE_BYTES.get(namespace);
  if (bytes === undefined) {
    if (!isUuid(namespace)) throw new TypeError(`namespace is not a UUID: ${namespace}`);
    bytes = Buffer.from(namespace.replace(/-/g, ''), 'hex');
    if (NAMESPACE_BYTES.size < 64) NAMESPACE_BYTES.set(namespace, bytes);
  }
  return bytes;
}
