import avro from 'avsc';
import { type LogLine, SCHEMA_TEXTS } from '../../platform/schemas/generated.js';
import { seededLines, seededRandom } from '../domain/testing/log-samples.js';
import { logLineSkimmable, skimLogLine } from './line-matcher.js';

/**
 * skimLogLine reads a LogLine's source, host, level, timestamp and message bounds straight
 * from its Avro body, exactly as avsc decodes them, and gives up (null) on anything it does
 * not read as avsc would, so the full decode can say what is wrong.
 */
describe('skimLogLine', () => {
  const type = avro.Type.forSchema(JSON.parse(SCHEMA_TEXTS['log-line']) as avro.Schema);
  const rnd = seededRandom(3);
  const lines = seededLines(2000, 11).map((message, i): LogLine => ({
    eventId: `e-${i}`,
    timestamp: i % 7 === 0 ? -i : 1_700_000_000_000 + i * 997,
    source: ['hdfs', 'openssh', 'a'.repeat(200)][i % 3]!,
    host: rnd() < 0.3 ? null : `node-${i % 9}`,
    level: rnd() < 0.2 ? null : ['INFO', 'WARN', 'ERROR'][i % 3]!,
    message: i % 50 === 0 ? message.repeat(40) : message,
    fields: i % 4 === 0 ? {} : { pid: `${i}`, component: `c${i % 5}`, long: 'v'.repeat(i % 300) },
  }));

  it('reads the layout of log-line.avsc', () => {
    expect(logLineSkimmable).toBe(true);
  });

  it('reads what avsc decodes, and where the message is, for every line', () => {
    for (const l of lines) {
      // Between other bytes, as values lie in a packed chunk.
      const body = type.toBuffer(l);
      const packed = Buffer.concat([Buffer.from([7, 7, 7]), body, Buffer.from([9, 9])]);
      const s = skimLogLine(packed, 3, 3 + body.length);
      const decoded = type.fromBuffer(body) as LogLine;
      expect(s).not.toBeNull();
      expect(s!.line).toEqual({
        timestamp: decoded.timestamp,
        source: decoded.source,
        host: decoded.host,
        level: decoded.level,
      });
      expect(packed.subarray(s!.messageStart, s!.messageEnd).toString()).toBe(decoded.message);
    }
  });

  it('gives up on what it does not read as avsc would', () => {
    const l = lines[1]!;
    const body = type.toBuffer(l);
    const skim = (b: Buffer, end = b.length): unknown => skimLogLine(b, 0, end);
    expect(skim(body)).not.toBeNull();
    // Cut anywhere, or followed by more bytes than the record.
    for (let cut = 0; cut < body.length; cut++) expect(skim(body, cut)).toBeNull();
    expect(skim(Buffer.concat([body, Buffer.from([0])]))).toBeNull();
    // Non-ASCII source, host or level: the full decode reads them.
    for (const change of [{ source: 'hdfs-ü' }, { host: 'nöde' }, { level: 'ÉRROR' }])
      expect(skim(type.toBuffer({ ...l, ...change }))).toBeNull();
    // A union branch that does not exist (host is ["null","string"]).
    const badBranch = Buffer.from(body);
    const hostAt = 1 + l.eventId.length + 6 + 1 + l.source.length; // eventId, timestamp, source
    expect(badBranch[hostAt]).toBe(2); // branch 1, zig-zag
    badBranch[hostAt] = 4;
    expect(skim(badBranch)).toBeNull();
    // A timestamp beyond what avsc reads without precision loss (avsc refuses it too).
    const tsAt = 1 + l.eventId.length;
    const hugeTs = Buffer.concat([
      body.subarray(0, tsAt),
      Buffer.from([0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]),
      body.subarray(tsAt + 6),
    ]);
    expect(() => {
      type.fromBuffer(hugeTs);
    }).toThrow(/precision/);
    expect(skim(hugeTs)).toBeNull();
  });
});
