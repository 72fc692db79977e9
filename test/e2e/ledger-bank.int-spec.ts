import { randomUUID } from 'node:crypto';
import { type Consumer, type Producer } from 'kafkajs';
import type pg from 'pg';
import { transferFingerprint } from '../../src/ledger/domain/fingerprint.js';
import { parseTransferRequested } from '../../src/ledger/domain/parse-transfer-request.js';
import { createApiKey } from '../../src/platform/auth/api-keys.js';
import { dlqTopicName, physicalTopic, TOPICS } from '../../src/platform/messaging/topics.js';
import {
  type TransferPosted,
  type TransferRejected,
  type TransferRequested,
} from '../../src/platform/schemas/generated.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { createTestPlatform, uniqueName, type TestPlatform } from '../support/kafka.js';
import { startServiceProcess, testPort, type ServiceProcess } from '../support/service-process.js';
import { waitFor } from '../support/wait-for.js';

/**
 * The bank invariant, issue 3's acceptance test: the BUILT ledger (`dist/src/ledger/main.js`) as a
 * real process on the real stack, fed 50,000 random transfer requests by several concurrent
 * producers while it is SIGKILLed and restarted at random moments; the first run has its outbox
 * relay switched off and is killed with committed-but-unpublished outcomes (a kill between commit
 * and publish), which the relay of the next run must publish. After the stream drains: money is
 * conserved per currency, bounded accounts stayed within their bounds (now and at every entry),
 * every request has exactly one outcome, the output topics hold exactly one outcome event per
 * transfer id (raw duplicates counted and printed), and no event exists for anything not committed.
 *
 * Knobs: BANK_TRANSFERS (default 50000), BANK_SEED (random), BANK_RATE (messages/s, 2500).
 * Needs `npm run build` first.
 */

const TRANSFERS = Number(process.env.BANK_TRANSFERS ?? 50_000);
const SEED = Number(process.env.BANK_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RATE = Number(process.env.BANK_RATE ?? 2500);
const PRODUCERS = 4;
const MIN_KILLS = 3;

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with BANK_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface AccountPlan {
  readonly id: string;
  readonly currency: 'USD' | 'EUR';
  /** Omitted = 0 (no negative balance); null = unbounded; negative = overdraft. */
  readonly min: bigint | null;
  readonly max: bigint | null;
  readonly funding: bigint;
}

const ACCOUNTS: AccountPlan[] = [
  ...Array.from({ length: 8 }, (_, i) => ({
    id: `usd-nn-${i}`,
    currency: 'USD' as const,
    min: 0n,
    max: null,
    funding: 50_000n,
  })),
  ...Array.from({ length: 4 }, (_, i) => ({
    id: `usd-cap-${i}`,
    currency: 'USD' as const,
    min: 0n,
    max: 120_000n,
    funding: 20_000n,
  })),
  ...Array.from({ length: 2 }, (_, i) => ({
    id: `usd-od-${i}`,
    currency: 'USD' as const,
    min: -20_000n,
    max: null,
    funding: 10_000n,
  })),
  ...Array.from({ length: 2 }, (_, i) => ({
    id: `usd-free-${i}`,
    currency: 'USD' as const,
    min: null,
    max: null,
    funding: 0n,
  })),
  ...Array.from({ length: 5 }, (_, i) => ({
    id: `eur-nn-${i}`,
    currency: 'EUR' as const,
    min: 0n,
    max: null,
    funding: 40_000n,
  })),
  ...Array.from({ length: 2 }, (_, i) => ({
    id: `eur-cap-${i}`,
    currency: 'EUR' as const,
    min: 0n,
    max: 60_000n,
    funding: 15_000n,
  })),
  { id: 'eur-free-0', currency: 'EUR', min: null, max: null, funding: 0n },
];
const BANKS: AccountPlan[] = [
  { id: 'usd-bank', currency: 'USD', min: null, max: null, funding: 0n },
  { id: 'eur-bank', currency: 'EUR', min: null, max: null, funding: 0n },
];
const CLOSED = 'usd-closed';

/** What the test knows about each generated request. */
type Expectation =
  | { readonly kind: 'valid' }
  /** A business-rule violation: a recorded REJECTED outcome with this code. */
  | { readonly kind: 'rejected'; readonly code: string }
  /** A structural error: dead-lettered, no outcome, no event. */
  | { readonly kind: 'dlq' };

interface Planned {
  readonly message: TransferRequested;
  readonly expect: Expectation;
}

interface CollectedEvent {
  readonly topic: 'posted' | 'rejected';
  readonly eventId: string;
  readonly transferId: string;
  readonly status: string;
  readonly code: string | null;
  readonly amountMinor: number;
}

describe('ledger bank invariant (built service as a process, SIGKILL, real stack)', () => {
  const prefix = `${uniqueName('bank')}.`;
  const requestTopic = physicalTopic(TOPICS.transfersRequested.name, prefix);
  const postedTopic = physicalTopic(TOPICS.transferPosted.name, prefix);
  const rejectedTopic = physicalTopic(TOPICS.transferRejected.name, prefix);
  const dlqTopic = dlqTopicName(requestTopic);
  const group = uniqueName('bank-ledger');
  const port = testPort(3);
  let db: TestDatabase;
  let pool: pg.Pool;
  let p: TestPlatform;
  let svc: ServiceProcess | undefined;
  const producers: Producer[] = [];
  let collector: Consumer | undefined;

  const env = (relay: boolean): Record<string, string> => ({
    DATABASE_URL: db.url,
    KAFKA_TOPIC_PREFIX: prefix,
    LEDGER_CONSUMER_GROUP: group,
    // A killed member holds its partitions until its session expires: keep that short.
    LEDGER_SESSION_TIMEOUT_MS: '6000',
    LEDGER_HEARTBEAT_INTERVAL_MS: '500',
    LEDGER_EXPIRY_INTERVAL_MS: '300',
    OUTBOX_RELAY_ENABLED: relay ? 'true' : 'false',
    OUTBOX_POLL_INTERVAL_MS: '200',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  });

  beforeAll(async () => {
    db = await createTestDatabase('bank');
    pool = db.pool(4);
    p = await createTestPlatform();
  });

  afterAll(async () => {
    await svc?.stop('SIGKILL');
    await collector?.disconnect().catch(() => undefined);
    await Promise.all(producers.map((x) => x.disconnect().catch(() => undefined)));
    await p?.close();
    await pool?.end();
    await db?.drop();
  });

  async function scalar(sql: string, params: unknown[] = []): Promise<number> {
    const { rows } = await pool.query<{ n: string }>(sql, params);
    return Number(rows[0]?.n ?? 0);
  }

  const outcomes = (): Promise<number> => scalar('SELECT count(*) AS n FROM ledger.transfers');
  const backlog = (): Promise<number> =>
    scalar('SELECT count(*) AS n FROM ledger.outbox WHERE published_at IS NULL');

  async function start(relay: boolean): Promise<ServiceProcess> {
    return startServiceProcess('ledger', port, env(relay), { readyTimeoutMs: 90_000 });
  }

  it('conserves money, keeps bounds, and yields exactly one outcome and one event per transfer through SIGKILLs', async () => {
    const began = Date.now();
    const random = prng(SEED);
    const int = (n: number): number => Math.floor(random() * n);
    const pickOf = <T>(list: readonly T[]): T => list[int(list.length)] as T;
    process.stdout.write(`bank test: seed ${SEED}, ${TRANSFERS} transfers, prefix ${prefix}\n`);

    // --- Boot, accounts (over the HTTP API), funding (over Kafka) --------------------------
    svc = await start(true);
    const { key } = await createApiKey(pool, {
      name: 'bank-test',
      scopes: ['ledger:read', 'ledger:write'],
    });
    const api = (path: string, body?: unknown): Promise<Response> =>
      fetch(`${svc?.url}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    for (const a of [...ACCOUNTS, ...BANKS, { ...BANKS[0], id: CLOSED } as AccountPlan]) {
      const res = await api('/accounts', {
        id: a.id,
        currency: a.currency,
        minBalanceMinor: a.min === null ? null : a.min.toString(),
        maxBalanceMinor: a.max === null ? null : a.max.toString(),
      });
      expect(res.status).toBe(201);
    }
    expect((await api(`/accounts/${CLOSED}/close`, {})).status).toBe(200);

    for (let i = 0; i < PRODUCERS; i++) {
      const producer = p.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
      });
      await producer.connect();
      producers.push(producer);
    }
    await p.serde.registerValueSchema(requestTopic, 'transfer-requested');
    const encode = (m: TransferRequested): Buffer => p.serde.encode(requestTopic, m);

    const base = (
      debit: string,
      credit: string,
      amount: number,
      currency: string,
    ): TransferRequested => ({
      eventId: randomUUID(),
      transferId: randomUUID(),
      kind: 'TRANSFER',
      debitAccountId: debit,
      creditAccountId: credit,
      amountMinor: amount,
      currency,
      relatedTransferId: null,
      timeoutSeconds: null,
      sourceSystem: 'bank-test',
      requestedAt: Date.now(),
      description: null,
      metadata: {},
    });

    const funding = ACCOUNTS.filter((a) => a.funding > 0n).map((a) =>
      base(`${a.currency.toLowerCase()}-bank`, a.id, Number(a.funding), a.currency),
    );
    await producers[0]?.send({
      topic: requestTopic,
      acks: -1,
      messages: funding.map((m) => ({ key: m.transferId, value: encode(m) })),
    });
    await waitFor('funding posted', async () => (await outcomes()) === funding.length, {
      timeoutMs: 60_000,
    });
    const balancesBefore = await pool.query<{ currency: string; total: string }>(
      `SELECT a.currency, sum(b.credits_posted - b.debits_posted)::text AS total
         FROM ledger.balances b JOIN ledger.accounts a ON a.id = b.account_id
        WHERE a.id <> ALL($1::text[]) GROUP BY a.currency ORDER BY a.currency`,
      [BANKS.map((b) => b.id)],
    );
    const totalsBefore = await pool.query<{ currency: string; total: string }>(
      `SELECT a.currency, sum(b.credits_posted - b.debits_posted)::text AS total
         FROM ledger.balances b JOIN ledger.accounts a ON a.id = b.account_id
        GROUP BY a.currency ORDER BY a.currency`,
    );

    // --- Plan the stream ---------------------------------------------------------------------
    const byCurrency = {
      USD: ACCOUNTS.filter((a) => a.currency === 'USD').map((a) => a.id),
      EUR: ACCOUNTS.filter((a) => a.currency === 'EUR').map((a) => a.id),
    };
    const plans: Planned[] = [];
    const pendings: string[] = [];
    const posted: string[] = [];
    const invalidQuota = Math.round(TRANSFERS / 10);
    const dlqQuota = Math.round(invalidQuota / 20);
    const invalidAt = new Set<number>();
    while (invalidAt.size < invalidQuota) invalidAt.add(int(TRANSFERS));
    let dlqLeft = dlqQuota;
    for (let i = 0; i < TRANSFERS; i++) {
      const currency = random() < 0.7 ? 'USD' : 'EUR';
      const ids = byCurrency[currency];
      const debit = pickOf(ids);
      let credit = pickOf(ids);
      while (credit === debit) credit = pickOf(ids);
      const amount = 1 + int(5000);
      const m = base(debit, credit, amount, currency);
      if (invalidAt.has(i)) {
        if (dlqLeft > 0) {
          dlqLeft -= 1;
          // Structurally broken: cannot be given an outcome → DLQ.
          const variant = int(3);
          if (variant === 0) m.description = 'nul \u0000 inside';
          else if (variant === 1) m.sourceSystem = '';
          else m.currency = 'X'.repeat(20);
          plans.push({ message: m, expect: { kind: 'dlq' } });
          continue;
        }
        const defect = int(5);
        if (defect === 0) {
          m.creditAccountId = `ghost-${int(1000)}`;
          plans.push({
            message: m,
            expect: { kind: 'rejected', code: 'LEDGER.ACCOUNT_NOT_FOUND' },
          });
        } else if (defect === 1) {
          m.creditAccountId = pickOf(currency === 'USD' ? byCurrency.EUR : byCurrency.USD);
          plans.push({
            message: m,
            expect: { kind: 'rejected', code: 'LEDGER.CURRENCY_MISMATCH' },
          });
        } else if (defect === 2) {
          m.creditAccountId = m.debitAccountId;
          plans.push({ message: m, expect: { kind: 'rejected', code: 'LEDGER.SAME_ACCOUNT' } });
        } else if (defect === 3) {
          m.amountMinor = -int(100);
          plans.push({ message: m, expect: { kind: 'rejected', code: 'LEDGER.INVALID_AMOUNT' } });
        } else {
          m.currency = 'USD';
          m.debitAccountId = pickOf(byCurrency.USD);
          m.creditAccountId = CLOSED;
          plans.push({ message: m, expect: { kind: 'rejected', code: 'LEDGER.ACCOUNT_CLOSED' } });
        }
        continue;
      }
      const roll = random();
      if (roll < 0.03) {
        m.kind = 'PENDING';
        m.timeoutSeconds = pickOf([0, 1, 2, 3]);
        pendings.push(m.transferId);
      } else if (roll < 0.05 && i > TRANSFERS / 2 && pendings.length > 0) {
        m.kind = random() < 0.5 ? 'POST_PENDING' : 'VOID_PENDING';
        m.relatedTransferId = pickOf(pendings);
        m.amountMinor = 0;
        m.currency = '';
      } else if (roll < 0.06 && i > TRANSFERS / 2 && posted.length > 0) {
        m.kind = 'REVERSAL';
        m.relatedTransferId = pickOf(posted);
        m.amountMinor = 0;
        m.currency = '';
      } else {
        posted.push(m.transferId);
      }
      plans.push({ message: m, expect: { kind: 'valid' } });
    }
    // Re-sends: the same request again (a retrying producer) and the same id with another body.
    const plainValid = plans.filter(
      (pl) => pl.expect.kind === 'valid' && pl.message.kind === 'TRANSFER',
    );
    const resends: TransferRequested[] = [];
    const conflicts = new Map<string, TransferRequested>();
    for (let i = 0; i < Math.round(TRANSFERS / 50); i++) {
      resends.push({ ...pickOf(plainValid).message, eventId: randomUUID() });
    }
    while (conflicts.size < Math.round(TRANSFERS / 100)) {
      const original = pickOf(plainValid).message;
      conflicts.set(original.transferId, {
        ...original,
        eventId: randomUUID(),
        amountMinor: original.amountMinor + 1,
      });
    }
    // The stream: the planned requests in order, each re-send somewhere after its original.
    const stream: TransferRequested[] = plans.map((pl) => pl.message);
    const position = new Map(stream.map((m, i) => [m.transferId, i]));
    for (const extra of [...resends, ...conflicts.values()]) {
      const from = (position.get(extra.transferId) ?? 0) + 1;
      stream.splice(from + int(stream.length - from + 1), 0, extra);
    }
    const planById = new Map(plans.map((pl) => [pl.message.transferId, pl]));
    const dlqIds = new Set(
      plans.filter((pl) => pl.expect.kind === 'dlq').map((pl) => pl.message.transferId),
    );
    const expectedOutcomes = funding.length + plans.length - dlqIds.size;

    // --- Collect every event on the output topics (and the DLQ) from the beginning -------------
    const events: CollectedEvent[] = [];
    const dlqKeys: string[] = [];
    collector = p.kafka.consumer({ groupId: uniqueName('bank-collector'), maxWaitTimeInMs: 100 });
    await collector.connect();
    await collector.subscribe({
      topics: [postedTopic, rejectedTopic, dlqTopic],
      fromBeginning: true,
    });
    await collector.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (batch.topic === dlqTopic) {
            dlqKeys.push(m.key?.toString() ?? '');
          } else if (batch.topic === postedTopic) {
            const e = await p.serde.decode<TransferPosted>(m.value, 'transfer-posted');
            events.push({
              topic: 'posted',
              eventId: e.eventId,
              transferId: e.transferId,
              status: e.status ?? 'POSTED',
              code: null,
              amountMinor: e.amountMinor,
            });
          } else {
            const e = await p.serde.decode<TransferRejected>(m.value, 'transfer-rejected');
            events.push({
              topic: 'rejected',
              eventId: e.eventId,
              transferId: e.transferId,
              status: 'REJECTED',
              code: e.code,
              amountMinor: e.amountMinor,
            });
          }
        }
      },
    });

    // --- Publish concurrently; kill at random points of the stream ------------------------------
    // Kill k happens once `killAt[k]` messages were sent and the current process has run for a
    // random 0.5-3 s; producers that reach `killAt[k]` before kill k happened wait for it, so every
    // kill lands while the stream is still being published, however slow restarts are. The first
    // run has its relay off: it is killed with committed but unpublished outcomes.
    await svc.stop('SIGTERM');
    svc = await start(false);
    const killCount = MIN_KILLS + 1;
    const killAt = Array.from({ length: killCount }, (_, k) =>
      Math.floor(stream.length * ((k + 0.2 + 0.6 * random()) / (killCount + 1))),
    );
    let sent = 0;
    let killsDone = 0;
    const perProducer = Array.from({ length: PRODUCERS }, () => [] as TransferRequested[]);
    stream.forEach((m, i) => perProducer[i % PRODUCERS]?.push(m));
    const producing = Promise.all(
      perProducer.map(async (messages, k) => {
        const producer = producers[k] as Producer;
        const chunk = 100;
        let started = Date.now();
        let sentHere = 0;
        for (let i = 0; i < messages.length; i += chunk) {
          const gate = killAt.findIndex((at, j) => j >= killsDone && sent >= at);
          if (gate >= 0) {
            while (killsDone <= gate) await new Promise((resolve) => setTimeout(resolve, 20));
            started = Date.now();
            sentHere = 0;
          }
          // Throttle: each producer sends RATE / PRODUCERS messages per second.
          const wait = started + (sentHere / RATE) * PRODUCERS * 1000 - Date.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          const slice = messages.slice(i, i + chunk);
          await producer.send({
            topic: requestTopic,
            acks: -1,
            messages: slice.map((m) => ({ key: m.transferId, value: encode(m) })),
          });
          sent += slice.length;
          sentHere += slice.length;
        }
      }),
    );

    const kills: Array<{
      at: number;
      sent: number;
      outcomes: number;
      unpublished: number;
      relay: boolean;
    }> = [];
    let committedBeforeFirstKill = new Set<string>();
    for (let k = 0; k < killCount; k++) {
      const readyAt = Date.now();
      const runFor = 500 + int(2500);
      await waitFor(
        `kill ${k + 1} point`,
        async () =>
          sent >= (killAt[k] ?? 0) &&
          Date.now() - readyAt >= runFor &&
          // The relay-off run must have committed outcomes that are not published.
          (k > 0 || (await outcomes()) > funding.length + 500),
        { timeoutMs: 180_000, intervalMs: 20 },
      );
      if (k === 0) {
        committedBeforeFirstKill = new Set(
          (
            await pool.query<{ transfer_id: string }>('SELECT transfer_id FROM ledger.transfers')
          ).rows.map((r) => r.transfer_id),
        );
      }
      const at = { sent, outcomes: await outcomes(), unpublished: await backlog() };
      svc.child.kill('SIGKILL');
      await svc.exited();
      kills.push({ at: Date.now() - began, ...at, relay: k > 0 });
      killsDone += 1;
      svc = await start(true);
    }
    await producing;
    expect(kills[0]?.unpublished).toBeGreaterThan(0);
    // Every kill happened while the stream was still being published.
    expect(kills.every((k) => k.sent < stream.length)).toBe(true);

    // --- Drain ---------------------------------------------------------------------------------
    const admin = p.kafka.admin();
    await admin.connect();
    try {
      await waitFor(
        'the stream drained: offsets committed to the end, every outcome recorded and published',
        async () => {
          const [committed] = await admin.fetchOffsets({ groupId: group, topics: [requestTopic] });
          const ends = await admin.fetchTopicOffsets(requestTopic);
          const lag = ends.reduce((sum, e) => {
            const c = committed?.partitions.find((x) => x.partition === e.partition);
            return sum + Number(e.offset) - Math.max(0, Number(c?.offset ?? 0));
          }, 0);
          if (lag !== 0) return false;
          if ((await outcomes()) !== expectedOutcomes) return false;
          const waitingExpiry = await scalar(
            `SELECT count(*) AS n FROM ledger.pending_transfers
              WHERE state = 'PENDING' AND expires_at IS NOT NULL`,
          );
          if (waitingExpiry > 0 || (await backlog()) > 0) return false;
          const expired = await scalar(
            "SELECT count(*) AS n FROM ledger.pending_transfers WHERE state = 'EXPIRED'",
          );
          const distinct = new Set(events.map((e) => e.eventId)).size;
          return distinct === expectedOutcomes + expired && dlqKeys.length >= dlqIds.size;
        },
        { timeoutMs: 240_000, intervalMs: 250 },
      );
    } finally {
      await admin.disconnect();
    }
    expect(sent).toBe(stream.length);
    expect(kills.length).toBeGreaterThanOrEqual(MIN_KILLS);
    expect(await svc.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    svc = undefined;

    // --- Invariant 1: money is conserved per currency ----------------------------------------
    const balancesAfter = await pool.query<{ currency: string; total: string }>(
      `SELECT a.currency, sum(b.credits_posted - b.debits_posted)::text AS total
         FROM ledger.balances b JOIN ledger.accounts a ON a.id = b.account_id
        WHERE a.id <> ALL($1::text[]) GROUP BY a.currency ORDER BY a.currency`,
      [BANKS.map((b) => b.id)],
    );
    const totalsAfter = await pool.query<{ currency: string; total: string }>(
      `SELECT a.currency, sum(b.credits_posted - b.debits_posted)::text AS total
         FROM ledger.balances b JOIN ledger.accounts a ON a.id = b.account_id
        GROUP BY a.currency ORDER BY a.currency`,
    );
    expect(balancesAfter.rows).toEqual(balancesBefore.rows);
    expect(totalsAfter.rows).toEqual(totalsBefore.rows);
    expect(totalsAfter.rows.every((r) => r.total === '0')).toBe(true);
    const pendingTotals = await pool.query<{ d: string; c: string; open: string }>(
      `SELECT (SELECT sum(debits_pending) FROM ledger.balances)::text AS d,
              (SELECT sum(credits_pending) FROM ledger.balances)::text AS c,
              (SELECT COALESCE(sum(t.amount_minor), 0) FROM ledger.pending_transfers p
                 JOIN ledger.transfers t USING (transfer_id) WHERE p.state = 'PENDING')::text AS open`,
    );
    expect(pendingTotals.rows[0]?.d).toBe(pendingTotals.rows[0]?.open);
    expect(pendingTotals.rows[0]?.c).toBe(pendingTotals.rows[0]?.open);

    // The journal agrees with the balances: gapless sequences, balance after = running sum.
    const journal = await pool.query<{ account_id: string; problem: string }>(
      `WITH e AS (
         SELECT account_id, seq, balance_after_minor,
                sum(CASE side WHEN 'CREDIT' THEN amount_minor ELSE -amount_minor END)
                  OVER (PARTITION BY account_id ORDER BY seq) AS running,
                row_number() OVER (PARTITION BY account_id ORDER BY seq) AS n
           FROM ledger.entries)
       SELECT account_id, 'running sum' AS problem FROM e WHERE running <> balance_after_minor
       UNION ALL SELECT account_id, 'gap' FROM e WHERE n <> seq
       UNION ALL
       SELECT b.account_id, 'totals' FROM ledger.balances b
         LEFT JOIN (SELECT account_id, count(*) AS n,
                           sum(CASE side WHEN 'CREDIT' THEN amount_minor ELSE 0 END) AS cr,
                           sum(CASE side WHEN 'DEBIT' THEN amount_minor ELSE 0 END) AS dr
                      FROM ledger.entries GROUP BY account_id) x USING (account_id)
        WHERE b.last_seq <> COALESCE(x.n, 0) OR b.credits_posted <> COALESCE(x.cr, 0)
           OR b.debits_posted <> COALESCE(x.dr, 0)`,
    );
    expect(journal.rows).toEqual([]);

    // --- Invariant 2: no bounded account outside its bounds, now or after any entry ------------
    const outOfBounds = await pool.query(
      `SELECT b.account_id, b.credits_posted - b.debits_posted AS posted
         FROM ledger.balances b
        WHERE (b.min_balance_minor IS NOT NULL
               AND b.credits_posted - b.debits_posted - b.debits_pending < b.min_balance_minor)
           OR (b.max_balance_minor IS NOT NULL
               AND b.credits_posted + b.credits_pending - b.debits_posted > b.max_balance_minor)
       UNION ALL
       SELECT e.account_id, e.balance_after_minor FROM ledger.entries e
         JOIN ledger.balances b USING (account_id)
        WHERE (b.min_balance_minor IS NOT NULL AND e.balance_after_minor < b.min_balance_minor)
           OR (b.max_balance_minor IS NOT NULL AND e.balance_after_minor > b.max_balance_minor)`,
    );
    expect(outOfBounds.rows).toEqual([]);
    const boundHits = await scalar(
      `SELECT count(*) AS n FROM ledger.transfers
        WHERE result_code IN ('LEDGER.INSUFFICIENT_FUNDS', 'LEDGER.BOUND_EXCEEDED')`,
    );
    expect(boundHits).toBeGreaterThan(0); // the bounds were actually exercised

    // --- Invariant 3: every request has exactly one outcome in the database --------------------
    const rows = (
      await pool.query<{
        transfer_id: string;
        status: string;
        result_code: string | null;
        fingerprint: string;
        amount_minor: string;
      }>(
        `SELECT transfer_id, status, result_code, encode(fingerprint, 'hex') AS fingerprint,
                amount_minor::text FROM ledger.transfers`,
      )
    ).rows;
    const db1 = new Map(rows.map((r) => [r.transfer_id, r]));
    expect(db1.size).toBe(rows.length); // primary key, but say it
    expect(rows.length).toBe(expectedOutcomes);
    const fp = (m: TransferRequested): string => {
      const parsed = parseTransferRequested(m);
      if (!parsed.ok) throw new Error(`planned request does not parse: ${m.transferId}`);
      return transferFingerprint(parsed.request);
    };
    const mismatches: string[] = [];
    for (const pl of plans) {
      const id = pl.message.transferId;
      const row = db1.get(id);
      if (pl.expect.kind === 'dlq') {
        if (row !== undefined) mismatches.push(`${id}: dead-lettered request has an outcome`);
        continue;
      }
      if (row === undefined) {
        mismatches.push(`${id}: no outcome`);
        continue;
      }
      const conflict = conflicts.get(id);
      const allowed = new Set([fp(pl.message), ...(conflict ? [fp(conflict)] : [])]);
      if (!allowed.has(row.fingerprint)) mismatches.push(`${id}: outcome of another body`);
      if (pl.expect.kind === 'rejected' && row.result_code !== pl.expect.code) {
        mismatches.push(`${id}: expected ${pl.expect.code}, got ${row.status} ${row.result_code}`);
      }
    }
    for (const m of funding)
      if (db1.get(m.transferId)?.status !== 'POSTED') mismatches.push(`funding ${m.transferId}`);
    const knownIds = new Set([...planById.keys(), ...funding.map((m) => m.transferId)]);
    for (const id of db1.keys())
      if (!knownIds.has(id)) mismatches.push(`${id}: outcome nobody asked for`);
    expect(mismatches.slice(0, 20)).toEqual([]);
    // Dead-lettered requests: each one on the DLQ (at least once; a kill may repeat it).
    expect(new Set(dlqKeys)).toEqual(dlqIds);

    // --- Invariant 4: exactly one outcome event per transfer id; none for anything uncommitted -
    const distinctEvents = new Map<string, CollectedEvent>();
    const differingResends: string[] = [];
    for (const e of events) {
      const seen = distinctEvents.get(e.eventId);
      // A raw duplicate is a re-send of the same event (same id, same content), nothing else.
      if (seen === undefined) distinctEvents.set(e.eventId, e);
      else if (JSON.stringify(seen) !== JSON.stringify(e)) differingResends.push(e.eventId);
    }
    expect(differingResends).toEqual([]);
    const rawDuplicates = events.length - distinctEvents.size;
    const outcomeEvents = new Map<string, CollectedEvent[]>();
    const expiredEvents: CollectedEvent[] = [];
    for (const e of distinctEvents.values()) {
      if (e.status === 'EXPIRED') expiredEvents.push(e);
      else outcomeEvents.set(e.transferId, [...(outcomeEvents.get(e.transferId) ?? []), e]);
    }
    const eventProblems: string[] = [];
    for (const [id, list] of outcomeEvents) {
      const row = db1.get(id);
      if (list.length !== 1) eventProblems.push(`${id}: ${list.length} outcome events`);
      const e = list[0] as CollectedEvent;
      if (row === undefined) eventProblems.push(`${id}: event for an uncommitted transfer`);
      else if (e.status !== row.status || (e.code ?? null) !== row.result_code) {
        eventProblems.push(
          `${id}: event says ${e.status} ${e.code}, database ${row.status} ${row.result_code}`,
        );
      } else if (row.status !== 'REJECTED' && BigInt(e.amountMinor) !== BigInt(row.amount_minor)) {
        eventProblems.push(`${id}: event amount ${e.amountMinor}, database ${row.amount_minor}`);
      }
    }
    for (const id of db1.keys()) if (!outcomeEvents.has(id)) eventProblems.push(`${id}: no event`);
    const expiredRows = new Set(
      (
        await pool.query<{ transfer_id: string }>(
          "SELECT transfer_id FROM ledger.pending_transfers WHERE state = 'EXPIRED'",
        )
      ).rows.map((r) => r.transfer_id),
    );
    expect(new Set(expiredEvents.map((e) => e.transferId))).toEqual(expiredRows);
    expect(expiredEvents.length).toBe(expiredRows.size);
    expect(eventProblems.slice(0, 20)).toEqual([]);

    // --- The kill between commit and publish was healed by the relay ---------------------------
    for (const id of committedBeforeFirstKill) expect(outcomeEvents.get(id)?.length).toBe(1);
    expect(await backlog()).toBe(0);

    const codes = await pool.query<{ code: string; n: string }>(
      `SELECT COALESCE(result_code, status) AS code, count(*)::text AS n FROM ledger.transfers
        GROUP BY 1 ORDER BY 2 DESC`,
    );
    process.stdout.write(
      [
        `bank test done in ${((Date.now() - began) / 1000).toFixed(1)} s (seed ${SEED})`,
        `requests: ${plans.length} planned + ${funding.length} funding, ${resends.length} exact re-sends, ${conflicts.size} same-id-different-body; ${stream.length} messages by ${PRODUCERS} producers`,
        `invalid: ${invalidQuota} (${dlqIds.size} dead-lettered, ${invalidQuota - dlqIds.size} rejected with a code)`,
        `kills (SIGKILL): ${kills.length}: ${kills
          .map(
            (k) =>
              `${(k.at / 1000).toFixed(1)}s sent=${k.sent} outcomes=${k.outcomes} unpublished=${k.unpublished}${k.relay ? '' : ' (relay off)'}`,
          )
          .join('; ')}`,
        `outcomes: ${rows.length}: ${codes.rows.map((c) => `${c.code}=${c.n}`).join(', ')}`,
        `events: ${events.length} raw, ${distinctEvents.size} distinct (${rawDuplicates} raw duplicates), ${expiredEvents.length} EXPIRED; DLQ records ${dlqKeys.length} for ${dlqIds.size} requests`,
        `balances per currency (non-bank accounts) before/after: ${JSON.stringify(balancesBefore.rows)} / ${JSON.stringify(balancesAfter.rows)}`,
      ].join('\n') + '\n',
    );
  }, 900_000);
});
