import { LoghubParser, type LoghubSystem, parseLoghubText } from './loghub.js';

/** One real line per system (from the loghub samples), and what it must become. */
const CASES: Array<[LoghubSystem, string, Record<string, unknown>]> = [
  [
    'android',
    '03-17 16:13:38.811  1702  2395 E WindowManager: Failed to start',
    {
      timestamp: Date.UTC(2017, 2, 17, 16, 13, 38, 811),
      level: 'ERROR',
      message: 'Failed to start',
      fields: { pid: '1702', tid: '2395', component: 'WindowManager', raw_level: 'E' },
    },
  ],
  [
    'apache',
    '[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6',
    {
      timestamp: Date.UTC(2005, 11, 4, 4, 47, 44),
      level: 'ERROR',
      message: 'mod_jk child workerEnv in error state 6',
    },
  ],
  [
    'hdfs',
    '081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating',
    {
      timestamp: Date.UTC(2008, 10, 9, 20, 36, 15),
      level: 'INFO',
      fields: { pid: '148', component: 'dfs.DataNode$PacketResponder' },
    },
  ],
  [
    'hpc',
    '134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: Component \\042alt0\\042 is in the unavailable state (HWID=1973)',
    {
      timestamp: 1077804742000,
      host: 'node-246',
      level: null,
      fields: {
        log_id: '134681',
        component: 'unix.hw',
        state: 'state_change.unavailable',
        flag: '1',
      },
    },
  ],
  [
    'hadoop',
    '2015-10-18 18:06:26,029 FATAL [IPC Server handler 13 on 62270] org.apache.hadoop.mapred.TaskAttemptListenerImpl: Task: attempt_1 - exited',
    {
      timestamp: Date.UTC(2015, 9, 18, 18, 6, 26, 29),
      level: 'FATAL',
      message: 'Task: attempt_1 - exited',
      fields: {
        thread: 'IPC Server handler 13 on 62270',
        component: 'org.apache.hadoop.mapred.TaskAttemptListenerImpl',
      },
    },
  ],
  [
    'healthapp',
    '20171224-1:2:35:789|Step_LSC|30002312|processHandleBroadcastAction action:android.intent.action.SCREEN_ON',
    {
      timestamp: Date.UTC(2017, 11, 24, 1, 2, 35, 789),
      fields: { component: 'Step_LSC', pid: '30002312' },
    },
  ],
  [
    'linux',
    'Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=218.188.2.4 ',
    {
      timestamp: Date.UTC(2005, 5, 14, 15, 16, 1),
      host: 'combo',
      fields: { component: 'sshd(pam_unix)', pid: '19939' },
    },
  ],
  [
    'mac',
    'Jul  1 09:29:02 calvisitor-10-105-160-95 sandboxd[129] ([31211]): com.apple.Addres(31211) deny network-outbound',
    {
      timestamp: Date.UTC(2017, 6, 1, 9, 29, 2),
      host: 'calvisitor-10-105-160-95',
      fields: { component: 'sandboxd', pid: '129' },
    },
  ],
  [
    'openssh',
    'Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186',
    {
      timestamp: Date.UTC(2017, 11, 10, 6, 55, 46),
      host: 'LabSZ',
      message: 'Invalid user webmaster from 173.234.31.186',
    },
  ],
  [
    'openstack',
    'nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 WARNING nova.osapi_compute.wsgi.server [req-1 - - -] "GET /v2" status: 200',
    {
      timestamp: Date.UTC(2017, 4, 16, 0, 0, 0, 8),
      level: 'WARN',
      message: '[req-1 - - -] "GET /v2" status: 200',
      fields: {
        logfile: 'nova-api.log.1.2017-05-16_13:53:08',
        pid: '25746',
        component: 'nova.osapi_compute.wsgi.server',
        raw_level: 'WARNING',
      },
    },
  ],
  [
    'proxifier',
    '[10.30 16:49:06] chrome.exe *64 - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS',
    { timestamp: Date.UTC(2017, 9, 30, 16, 49, 6), fields: { program: 'chrome.exe *64' } },
  ],
  [
    'spark',
    '17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]',
    { timestamp: Date.UTC(2017, 5, 9, 20, 10, 40), level: 'INFO' },
  ],
  [
    'thunderbird',
    '- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root',
    {
      timestamp: 1131566461000,
      host: 'dn228',
      message: 'session closed for user root',
      fields: { label: '-', location: 'dn228/dn228', component: 'crond(pam_unix)', pid: '2915' },
    },
  ],
  [
    'windows',
    '2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505',
    {
      timestamp: Date.UTC(2016, 8, 28, 4, 30, 30),
      level: 'INFO',
      message: 'Loaded Servicing Stack v6.1.7601.23505',
      fields: { component: 'CBS', raw_level: 'Info' },
    },
  ],
  [
    'zookeeper',
    '2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200',
    {
      timestamp: Date.UTC(2015, 6, 29, 17, 41, 44, 747),
      level: 'INFO',
      message: 'Notification time out: 3200',
      fields: { thread: 'QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774' },
    },
  ],
];

describe('loghub parsers', () => {
  it.each(CASES)('%s', (system, raw, expected) => {
    const l = new LoghubParser(system).parse(raw, 1);
    expect(l.source).toBe(system);
    expect(l.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(l).toMatchObject(expected);
    expect(l.fields?.['unparsed']).toBeUndefined();
  });

  it('gives stable event ids and keeps unparseable lines as such', () => {
    const a = new LoghubParser('hdfs').parse('garbage', 7);
    const b = new LoghubParser('hdfs').parse('garbage', 7);
    expect(a.eventId).toBe(b.eventId);
    expect(a).toMatchObject({ message: 'garbage', fields: { unparsed: 'true' } });
  });

  it('rolls the year over when a year-less clock jumps back', () => {
    const lines = parseLoghubText(
      'proxifier',
      '[12.31 23:59:59] a.exe - x\n[01.01 00:00:01] a.exe - y\n',
    );
    expect(lines.map((l) => new Date(l.timestamp).toISOString())).toEqual([
      '2017-12-31T23:59:59.000Z',
      '2018-01-01T00:00:01.000Z',
    ]);
  });
});
