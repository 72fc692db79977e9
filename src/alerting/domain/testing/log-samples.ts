/**
 * Loghub-like synthetic log lines from a seeded generator (the real loghub files are not
 * part of the project; these templates imitate HDFS, OpenSSH, Linux, Hadoop, Zookeeper
 * and Apache lines, with the variable parts randomised).
 */
const TEMPLATES = [
  'PacketResponder {n} for block blk_{blk} terminating',
  'Receiving block blk_{blk} src: /10.250.{n}.{n}:{port} dest: /10.250.{n}.{n}:50010',
  'BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.{n}.{n}:50010 is added to blk_{blk} size 67108864',
  'Failed password for invalid user {user} from {ip} port {port} ssh2',
  'Failed password for {user} from {ip} port {port} ssh2',
  'Invalid user {user} from {ip}',
  'Accepted password for {user} from {ip} port {port} ssh2',
  'pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost={ip}  user={user}',
  'session opened for user {user} by (uid=0)',
  'session closed for user {user}',
  'Connection closed by {ip} [preauth]',
  'Received disconnect from {ip}: 11: Bye Bye [preauth]',
  'ERROR IN CONTACTING RM. ',
  'Address change detected. Old: msra-sa-41/10.190.173.170:8030 New: msra-sa-41:8030',
  'Retrying connect to server: msra-sa-41:8030. Already tried {n} time(s); maxRetries=45',
  'java.net.ConnectException: Connection refused: no further information',
  'Connection reset by peer',
  'Interrupted while waiting for message on queue',
  'Connection broken for id {n}, my id = 1, error = ',
  'Notification time out: {n}',
  'mod_jk child workerEnv in error state {n}',
  'jk2_init() Found child {n} in scoreboard slot {n}',
  'Out of memory: Killed process {n} (java) total-vm:{n}kB',
  'kernel: EXT3-fs error (device sda1): ext3_find_entry: reading directory #2 offset 0',
  'write failed: No space left on device',
  'Warning: session timed out after {n} seconds',
  'ÄÖÜ äöü ß ﬁ straße Σίσυφος İstanbul {user}',
  'Exception in thread "main" java.lang.OutOfMemoryError: Java heap space',
  'SEGFAULT at 0x{hex} ip 0x{hex} sp 0x{hex} error 4 in libc.so',
];
const USERS = ['root', 'admin', 'test', 'oracle', 'guest', 'ubuntu', 'Support', 'pi'];

export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seededLines(count: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const fill = (t: string): string =>
    t
      .replace(/\{n\}/g, () => String(Math.floor(rnd() * 300)))
      .replace(/\{blk\}/g, () => `${rnd() < 0.5 ? '-' : ''}${Math.floor(rnd() * 1e15)}`)
      .replace(/\{port\}/g, () => String(1024 + Math.floor(rnd() * 60000)))
      .replace(
        /\{ip\}/g,
        () =>
          `${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`,
      )
      .replace(/\{user\}/g, () => pick(USERS))
      .replace(/\{hex\}/g, () => Math.floor(rnd() * 0xffffff).toString(16));
  return Array.from({ length: count }, () => {
    const base = fill(pick(TEMPLATES));
    const r = rnd();
    if (r < 0.1) return base.toUpperCase();
    if (r < 0.15) return `${base} ${'x'.repeat(Math.floor(rnd() * 200))}`;
    return base;
  });
}
