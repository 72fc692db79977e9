import { type LogLine } from '../../../platform/schemas/generated.js';
import { levelRank } from '../rules/log-level.js';

/**
 * Longest message the engine matches on, in UTF-16 code units. Longer messages are cut (the
 * cut never splits a surrogate pair) and flagged `truncated`; nothing longer ever reaches a
 * regex, which bounds the cost of every match. Log shippers usually cap lines at 16-64 KiB;
 * critical patterns sit at the start of a line, so 8 KiB keeps them while keeping the worst
 * case of the allowed (at most quadratic) patterns small.
 */
export const MAX_LINE_LENGTH = 8192;

export interface PreparedLine {
  readonly line: LogLine;
  /** The message as matched (cut to the maximum length). */
  readonly message: string;
  readonly truncated: boolean;
  readonly levelUpper: string | null;
  readonly levelRank: number;
}

export function truncateText(text: string, max: number): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return { text: text.slice(0, end), truncated: true };
}

export function prepareLine(line: LogLine, maxLength = MAX_LINE_LENGTH): PreparedLine {
  const message = typeof line.message === 'string' ? line.message : '';
  const cut = truncateText(message, maxLength);
  const level = line.level ?? null;
  return {
    line,
    message: cut.text,
    truncated: cut.truncated,
    levelUpper: level === null ? null : level.toUpperCase(),
    levelRank: levelRank(level),
  };
}
