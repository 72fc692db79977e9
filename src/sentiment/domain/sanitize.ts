/**
 * Input hygiene: every comment, however broken, becomes plain text the pipeline can work on.
 * Bad input is a result (issue codes on the analysis), never an exception.
 */

/** Longest text analysed, in UTF-16 code units after cleaning; the rest is cut off and flagged. */
export const DEFAULT_MAX_CHARS = 5_000;

/** Raw input is cut to this multiple of maxChars before any regex runs, to bound the work. */
const RAW_CAP_FACTOR = 4;

export type InputIssueCode =
  | 'SENTIMENT.INPUT_NOT_TEXT'
  | 'SENTIMENT.INPUT_EMPTY'
  | 'SENTIMENT.INPUT_TRUNCATED'
  | 'SENTIMENT.INPUT_CONTROL_CHARS'
  | 'SENTIMENT.INPUT_INVALID_UNICODE'
  | 'SENTIMENT.INPUT_HTML';

export interface SanitizedText {
  /** Cleaned text; token offsets refer to this string. */
  text: string;
  truncated: boolean;
  /** Length of the input as received (UTF-16 code units; 0 for non-strings). */
  originalLength: number;
  issues: InputIssueCode[];
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  copy: '©',
  reg: '®',
  trade: '™',
  eacute: 'é',
  aacute: 'á',
  iacute: 'í',
  oacute: 'ó',
  uacute: 'ú',
  atilde: 'ã',
  otilde: 'õ',
  ccedil: 'ç',
  ecirc: 'ê',
  acirc: 'â',
  ocirc: 'ô',
  agrave: 'à',
};

const TAG_RE = /<\/?[a-zA-Z][a-zA-Z0-9-]*(?:\s[^<>]*)?\/?>|<!--[\s\S]*?-->/g;
const SCRIPT_STYLE_RE = /<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi;
const ENTITY_RE = /&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/g;
// C0/C1 controls except tab, LF, CR; zero-width and bidi controls. ZWJ (U+200D) and variation
// selectors are kept: emoji sequences need them.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g;
const INVISIBLE_RE = /[\u200B\u200C\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;
const REPLACEMENT_RE = /\uFFFD+/g;
const LONE_SURROGATE_RE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function decodeEntity(whole: string, body: string): string {
  if (body.startsWith('#')) {
    const hex = body[1] === 'x' || body[1] === 'X';
    const code = Number.parseInt(body.slice(hex ? 2 : 1), hex ? 16 : 10);
    if (
      !Number.isFinite(code) ||
      code <= 0 ||
      code > 0x10ffff ||
      (code >= 0xd800 && code <= 0xdfff)
    ) {
      return ' ';
    }
    return String.fromCodePoint(code);
  }
  return NAMED_ENTITIES[body.toLowerCase()] ?? whole;
}

/** Cuts at most maxChars code units without splitting a surrogate pair, preferring a space. */
function cut(text: string, maxChars: number): string {
  let end = maxChars;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  const space = text.lastIndexOf(' ', end);
  if (space > end - 64 && space > 0) end = space;
  return text.slice(0, end);
}

export function sanitizeText(input: unknown, maxChars: number = DEFAULT_MAX_CHARS): SanitizedText {
  const issues: InputIssueCode[] = [];
  if (typeof input !== 'string') {
    return {
      text: '',
      truncated: false,
      originalLength: 0,
      issues: ['SENTIMENT.INPUT_NOT_TEXT', 'SENTIMENT.INPUT_EMPTY'],
    };
  }
  const limit = Math.max(1, Math.floor(maxChars));
  const originalLength = input.length;
  let truncated = false;
  let text = input;
  if (text.length > limit * RAW_CAP_FACTOR) {
    text = cut(text, limit * RAW_CAP_FACTOR);
    truncated = true;
  }

  // Lone surrogates are what invalid UTF-8 usually becomes after a lossy decode elsewhere.
  text = text.replace(LONE_SURROGATE_RE, '\uFFFD');
  if (text.includes('\uFFFD')) {
    issues.push('SENTIMENT.INPUT_INVALID_UNICODE');
    text = text.replace(REPLACEMENT_RE, ' ');
  }
  const withoutControls = text.replace(CONTROL_RE, ' ');
  if (withoutControls !== text) issues.push('SENTIMENT.INPUT_CONTROL_CHARS');
  text = withoutControls.replace(INVISIBLE_RE, '');

  if (text.includes('<') || text.includes('&')) {
    const stripped = text
      .replace(SCRIPT_STYLE_RE, ' ')
      .replace(TAG_RE, ' ')
      .replace(ENTITY_RE, decodeEntity);
    if (stripped !== text) {
      issues.push('SENTIMENT.INPUT_HTML');
      // Entities can decode to controls (&#1;): clean once more.
      text = stripped.replace(CONTROL_RE, ' ').replace(INVISIBLE_RE, '');
    }
  }

  text = text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t\u00A0\u2000-\u200A\u3000]+/g, ' ')
    .replace(/ ?\n[\s]*/g, '\n')
    .trim();

  if (text.length > limit) {
    text = cut(text, limit).trimEnd();
    truncated = true;
  }
  if (truncated) issues.push('SENTIMENT.INPUT_TRUNCATED');
  if (text.length === 0) issues.push('SENTIMENT.INPUT_EMPTY');
  return { text, truncated, originalLength, issues };
}
