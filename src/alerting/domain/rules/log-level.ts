/**
 * Log levels as ranks, so rules can say `level_at_least: ERROR` across systems that spell
 * levels differently (syslog, log4j, Android letters, Windows). Unknown levels rank -1 and
 * never satisfy a threshold.
 */
const RANKS: Readonly<Record<string, number>> = {
  TRACE: 0,
  VERBOSE: 0,
  V: 0,
  DEBUG: 1,
  D: 1,
  INFO: 2,
  I: 2,
  INFORMATION: 2,
  NOTICE: 3,
  WARN: 4,
  WARNING: 4,
  W: 4,
  ERROR: 5,
  ERR: 5,
  E: 5,
  SEVERE: 5,
  CRITICAL: 6,
  CRIT: 6,
  ALERT: 7,
  FATAL: 8,
  F: 8,
  PANIC: 8,
  EMERG: 8,
  EMERGENCY: 8,
};

export const LEVEL_NAMES = Object.keys(RANKS);

export function levelRank(level: string | null | undefined): number {
  if (level === null || level === undefined) return -1;
  return RANKS[level.toUpperCase()] ?? -1;
}
