import { type LogLine } from '../../platform/schemas/generated.js';
import { nameUuid } from './lifecycle/ids.js';

/**
 * Parsers for the loghub sample logs (Zhu et al., "Loghub: A Large Collection of System Log
 * Datasets for AI-driven Log Analytics", ISSRE 2023; https://github.com/logpai/loghub), one
 * per system, turning raw lines into LogLine records for integration tests, the expected-
 * alerts fixture and the demo workload. The data itself is never shipped with the project.
 *
 * Conventions:
 * - `source` is the system name in lower case (hdfs, openssh, ...).
 * - Times are read as UTC (the files carry no zone). Formats without a year use
 *   `LOGHUB_DEFAULT_YEARS` (override with `year`); when such a file's clock jumps back by
 *   more than 30 days the year is incremented (Proxifier goes from 10.30 to 07.26).
 * - Levels are normalised to upper-case names (Android `E` -> ERROR, `Warning`/`WARNING`
 *   -> WARN, Apache `notice` -> NOTICE); the original spelling is kept in
 *   `fields.raw_level` when it differs. Syslog-style systems have no level (null).
 * - Structured parts go to `fields` (component, pid, tid, thread, program, logfile, node
 *   state, the loghub anomaly label for Thunderbird, ...).
 * - eventId is a name-based UUID of (system, line number, text): replays are idempotent.
 * - A line that does not fit its system's format is still returned (never thrown away):
 *   message = the raw line, timestamp = the previous line's, fields.unparsed = "true".
 */
export const LOGHUB_FILES = {
  android: 'Android_2k.log',
  apache: 'Apache_2k.log',
  hdfs: 'HDFS_2k.log',
  hpc: 'HPC_2k.log',
  hadoop: 'Hadoop_2k.log',
  healthapp: 'HealthApp_2k.log',
  linux: 'Linux_2k.log',
  mac: 'Mac_2k.log',
  openssh: 'OpenSSH_2k.log',
  openstack: 'OpenStack_2k.log',
  proxifier: 'Proxifier_2k.log',
  spark: 'Spark_2k.log',
  thunderbird: 'Thunderbird_2k.log',
  windows: 'Windows_2k.log',
  zookeeper: 'Zookeeper_2k.log',
} as const;

export type LoghubSystem = keyof typeof LOGHUB_FILES;
export const LOGHUB_SYSTEMS = Object.keys(LOGHUB_FILES) as LoghubSystem[];

/** Assumed years for formats that omit it (the loghub collection periods). */
export const LOGHUB_DEFAULT_YEARS: Readonly<Partial<Record<LoghubSystem, number>>> = {
  android: 2017,
  linux: 2005,
  mac: 2017,
  openssh: 2017,
  proxifier: 2017,
};

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 1,
  Feb: 2,
  Mar: 3,
  Apr: 4,
  May: 5,
  Jun: 6,
  Jul: 7,
  Aug: 8,
  Sep: 9,
  Oct: 10,
  Nov: 11,
  Dec: 12,
};

const ANDROID_LEVELS: Readonly<Record<string, string>> = {
  V: 'VERBOSE',
  D: 'DEBUG',
  I: 'INFO',
  W: 'WARN',
  E: 'ERROR',
  F: 'FATAL',
  A: 'FATAL',
};

interface Parsed {
  /** Date parts; `year` null means "use the parser's running year". */
  year: number | null;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  epochMs?: number;
  host: string | null;
  level: string | null;
  message: string;
  fields: Record<string, string>;
}

const SYSLOG_RE =
  /^(\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\S+) (.*?)(?:\[(\d+)\])?(?: \(\[\d+\]\))?: (.*)$/;

function syslog(raw: string): Parsed | null {
  const m = SYSLOG_RE.exec(raw);
  if (!m || MONTHS[m[1]!] === undefined) return null;
  const fields: Record<string, string> = { component: m[7]! };
  if (m[8] !== undefined) fields['pid'] = m[8];
  return {
    year: null,
    month: MONTHS[m[1]!]!,
    day: Number(m[2]),
    hour: Number(m[3]),
    minute: Number(m[4]),
    second: Number(m[5]),
    ms: 0,
    host: m[6]!,
    level: null,
    message: m[9]!,
    fields,
  };
}

type LineParser = (raw: string) => Parsed | null;

const PARSERS: Readonly<Record<LoghubSystem, LineParser>> = {
  android: (raw) => {
    const m =
      /^(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3})\s+(\d+)\s+(\d+) ([VDIWEFA]) (.*?): (.*)$/.exec(
        raw,
      );
    if (!m) return null;
    return {
      year: null,
      month: Number(m[1]),
      day: Number(m[2]),
      hour: Number(m[3]),
      minute: Number(m[4]),
      second: Number(m[5]),
      ms: Number(m[6]),
      host: null,
      level: ANDROID_LEVELS[m[9]!]!,
      message: m[11]!,
      fields: { pid: m[7]!, tid: m[8]!, component: m[10]!.trim(), raw_level: m[9]! },
    };
  },
  apache: (raw) => {
    const m = /^\[\w{3} (\w{3}) (\d\d) (\d\d):(\d\d):(\d\d) (\d{4})\] \[(\w+)\] (.*)$/.exec(raw);
    if (!m || MONTHS[m[1]!] === undefined) return null;
    return {
      year: Number(m[6]),
      month: MONTHS[m[1]!]!,
      day: Number(m[2]),
      hour: Number(m[3]),
      minute: Number(m[4]),
      second: Number(m[5]),
      ms: 0,
      host: null,
      level: m[7]!,
      message: m[8]!,
      fields: {},
    };
  },
  hdfs: (raw) => {
    const m = /^(\d\d)(\d\d)(\d\d) (\d\d)(\d\d)(\d\d) (\d+) (\w+) ([^:\s]+): (.*)$/.exec(raw);
    if (!m) return null;
    return {
      year: 2000 + Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6]),
      ms: 0,
      host: null,
      level: m[8]!,
      message: m[10]!,
      fields: { pid: m[7]!, component: m[9]! },
    };
  },
  hpc: (raw) => {
    const m = /^(\d+) (\S+) (\S+) (\S+) (\d+) (-?\d+) (.*)$/.exec(raw);
    if (!m) return null;
    return {
      year: 0,
      month: 1,
      day: 1,
      hour: 0,
      minute: 0,
      second: 0,
      ms: 0,
      epochMs: Number(m[5]) * 1000,
      host: m[2]!,
      level: null,
      message: m[7]!,
      fields: { log_id: m[1]!, component: m[3]!, state: m[4]!, flag: m[6]! },
    };
  },
  hadoop: (raw) => {
    const m =
      /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3}) (\w+) \[(.*?)\] (\S+?): ?(.*)$/.exec(
        raw,
      );
    if (!m) return null;
    return {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6]),
      ms: Number(m[7]),
      host: null,
      level: m[8]!,
      message: m[11]!,
      fields: { thread: m[9]!, component: m[10]! },
    };
  },
  healthapp: (raw) => {
    const m =
      /^(\d{4})(\d\d)(\d\d)-(\d{1,2}):(\d{1,2}):(\d{1,2}):(\d{1,3})\|([^|]*)\|([^|]*)\|(.*)$/.exec(
        raw,
      );
    if (!m) return null;
    return {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6]),
      ms: Number(m[7]),
      host: null,
      level: null,
      message: m[10]!,
      fields: { component: m[8]!, pid: m[9]! },
    };
  },
  linux: syslog,
  mac: syslog,
  openssh: syslog,
  openstack: (raw) => {
    const m =
      /^(\S+) (\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3}) (\d+) (\w+) (\S+) (.*)$/.exec(
        raw,
      );
    if (!m) return null;
    return {
      year: Number(m[2]),
      month: Number(m[3]),
      day: Number(m[4]),
      hour: Number(m[5]),
      minute: Number(m[6]),
      second: Number(m[7]),
      ms: Number(m[8]),
      host: null,
      level: m[10]!,
      message: m[12]!,
      fields: { logfile: m[1]!, pid: m[9]!, component: m[11]! },
    };
  },
  proxifier: (raw) => {
    const m = /^\[(\d\d)\.(\d\d) (\d\d):(\d\d):(\d\d)\] (.*?) - (.*)$/.exec(raw);
    if (!m) return null;
    return {
      year: null,
      month: Number(m[1]),
      day: Number(m[2]),
      hour: Number(m[3]),
      minute: Number(m[4]),
      second: Number(m[5]),
      ms: 0,
      host: null,
      level: null,
      message: m[7]!,
      fields: { program: m[6]! },
    };
  },
  spark: (raw) => {
    const m = /^(\d\d)\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d) (\w+) ([^:\s]+): (.*)$/.exec(raw);
    if (!m) return null;
    return {
      year: 2000 + Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6]),
      ms: 0,
      host: null,
      level: m[7]!,
      message: m[9]!,
      fields: { component: m[8]! },
    };
  },
  thunderbird: (raw) => {
    const m =
      /^(\S+) (\d+) \d{4}\.\d\d\.\d\d (\S+) \w{3} +\d+ \d\d:\d\d:\d\d (\S+) (.*?)(?:\[(\d+)\])?: (.*)$/.exec(
        raw,
      );
    if (!m) return null;
    const fields: Record<string, string> = { label: m[1]!, location: m[4]!, component: m[5]! };
    if (m[6] !== undefined) fields['pid'] = m[6];
    return {
      year: 0,
      month: 1,
      day: 1,
      hour: 0,
      minute: 0,
      second: 0,
      ms: 0,
      epochMs: Number(m[2]) * 1000,
      host: m[3]!,
      level: null,
      message: m[7]!,
      fields,
    };
  },
  windows: (raw) => {
    const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d), (\w+)\s+(\S+)\s+(.*)$/.exec(raw);
    if (!m) return null;
    return {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6]),
      ms: 0,
      host: null,
      level: m[7]!,
      message: m[9]!,
      fields: { component: m[8]! },
    };
  },
  zookeeper: (raw) => {
    const m =
      /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3}) - (\w+)\s+\[(.*?)\] - (.*)$/.exec(raw);
    if (!m) return null;
    return {
      year: Number(m[1]),
      month: Number(m[2]),
      day: Number(m[3]),
      hour: Number(m[4]),
      minute: Number(m[5]),
      second: Number(m[6]),
      ms: Number(m[7]),
      host: null,
      level: m[8]!,
      message: m[10]!,
      fields: { thread: m[9]! },
    };
  },
};

const LEVEL_ALIASES: Readonly<Record<string, string>> = { WARNING: 'WARN', INFORMATION: 'INFO' };

function normaliseLevel(level: string | null, fields: Record<string, string>): string | null {
  if (level === null) return null;
  const upper = level.toUpperCase();
  const canonical = LEVEL_ALIASES[upper] ?? upper;
  if (canonical !== level && fields['raw_level'] === undefined) fields['raw_level'] = level;
  return canonical;
}

const ROLLOVER_MS = 30 * 86_400_000;

/** Stateful per file: it tracks the running year of year-less formats. */
export class LoghubParser {
  private year: number;
  private lastTimestamp: number | null = null;

  constructor(
    readonly system: LoghubSystem,
    options: { year?: number } = {},
  ) {
    this.year = options.year ?? LOGHUB_DEFAULT_YEARS[system] ?? 1970;
  }

  /** Parses one raw line; `lineNo` is 1-based and feeds the deterministic eventId. */
  parse(raw: string, lineNo: number): LogLine {
    const text = raw.replace(/\r$/, '');
    const eventId = nameUuid('loghub', this.system, lineNo, text);
    const p = PARSERS[this.system](text);
    if (!p) {
      return {
        eventId,
        timestamp: this.lastTimestamp ?? Date.UTC(this.year, 0, 1),
        source: this.system,
        host: null,
        level: null,
        message: text,
        fields: { unparsed: 'true' },
      };
    }
    let timestamp: number;
    if (p.epochMs !== undefined) timestamp = p.epochMs;
    else if (p.year !== null)
      timestamp = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, p.ms);
    else {
      timestamp = Date.UTC(this.year, p.month - 1, p.day, p.hour, p.minute, p.second, p.ms);
      if (this.lastTimestamp !== null && timestamp < this.lastTimestamp - ROLLOVER_MS) {
        this.year++;
        timestamp = Date.UTC(this.year, p.month - 1, p.day, p.hour, p.minute, p.second, p.ms);
      }
    }
    this.lastTimestamp = timestamp;
    const level = normaliseLevel(p.level, p.fields);
    return {
      eventId,
      timestamp,
      source: this.system,
      host: p.host,
      level,
      message: p.message,
      fields: p.fields,
    };
  }
}

/** Parses a whole file's text (lines split on \n; a trailing empty line is ignored). */
export function parseLoghubText(
  system: LoghubSystem,
  text: string,
  options: { year?: number } = {},
): LogLine[] {
  const parser = new LoghubParser(system, options);
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((raw, i) => parser.parse(raw, i + 1));
}
