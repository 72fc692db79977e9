/**
 * Request bodies as the gateway sees them: raw bytes, decoded here (after authentication) so that
 * every way a body can be wrong has one documented answer:
 * - a media type the route does not take, or a charset other than UTF-8 → 415;
 * - bytes that are not valid UTF-8 → 400 `BODY.INVALID_UTF8` (never silently replaced by U+FFFD);
 * - text that is not JSON (or an NDJSON line that is not) → 400 `BODY.MALFORMED_JSON`;
 * - an empty body → 400 `BODY.EMPTY`.
 */
export type MediaKind = 'json' | 'ndjson';

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    readonly code: string,
    message: string,
    readonly details: ReadonlyArray<{ field: string; code: string; message: string }> = [],
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

const MEDIA: Record<string, MediaKind> = {
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
};

/** The media kind of a Content-Type header, or a 415 `BodyError`. */
export function mediaKind(
  contentType: string | undefined,
  accepted: readonly MediaKind[],
): MediaKind {
  const acceptedTypes = Object.entries(MEDIA)
    .filter(([, k]) => accepted.includes(k))
    .map(([t]) => t);
  if (!contentType) {
    throw new BodyError(
      415,
      'BODY.UNSUPPORTED_MEDIA_TYPE',
      `send Content-Type ${acceptedTypes.join(' or ')}`,
    );
  }
  const [type = '', ...params] = contentType.split(';');
  const kind = MEDIA[type.trim().toLowerCase()];
  if (!kind || !accepted.includes(kind)) {
    throw new BodyError(
      415,
      'BODY.UNSUPPORTED_MEDIA_TYPE',
      `Content-Type ${type.trim().slice(0, 100)} is not accepted here; use ${acceptedTypes.join(' or ')}`,
    );
  }
  for (const p of params) {
    const [name = '', value = ''] = p.split('=');
    if (name.trim().toLowerCase() === 'charset') {
      const charset = value.trim().replace(/^"|"$/g, '').toLowerCase();
      if (charset !== 'utf-8' && charset !== 'utf8') {
        throw new BodyError(415, 'BODY.UNSUPPORTED_CHARSET', 'only charset=utf-8 is accepted');
      }
    }
  }
  return kind;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Strict UTF-8 decoding (a leading BOM is dropped). */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new BodyError(400, 'BODY.INVALID_UTF8', 'body is not valid UTF-8');
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message.slice(0, 200) : 'invalid JSON';
    throw new BodyError(400, 'BODY.MALFORMED_JSON', `${where} is not valid JSON: ${reason}`);
  }
}

/** One JSON document (single-event routes). */
export function parseJsonBody(bytes: Uint8Array | undefined): unknown {
  if (!bytes || bytes.length === 0) throw new BodyError(400, 'BODY.EMPTY', 'body is empty');
  const text = decodeUtf8(bytes);
  if (text.trim() === '') throw new BodyError(400, 'BODY.EMPTY', 'body is empty');
  return parseJson(text, 'body');
}

/**
 * A batch: a JSON array, or NDJSON (one JSON value per line; blank lines and a trailing newline
 * are ignored, `\r\n` line ends accepted). Returns the items; item count limits are the caller's.
 */
export function parseBatchBody(bytes: Uint8Array | undefined, kind: MediaKind): unknown[] {
  if (!bytes || bytes.length === 0) throw new BodyError(400, 'BODY.EMPTY', 'body is empty');
  const text = decodeUtf8(bytes);
  if (kind === 'json') {
    const value = parseJson(text, 'body');
    if (!Array.isArray(value)) {
      throw new BodyError(400, 'BODY.NOT_AN_ARRAY', 'a JSON batch must be an array of events', [
        { field: '(body)', code: 'type', message: 'expected an array' },
      ]);
    }
    return value;
  }
  const items: unknown[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).replace(/\r$/, '');
    if (line.trim() === '') continue;
    items.push(parseJson(line, `line ${i + 1}`));
  }
  return items;
}

/**
 * Canonical JSON (object keys sorted, no whitespace): two bodies that mean the same are the same
 * string, whatever their formatting or key order. Idempotency compares request fingerprints
 * built on it.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}
