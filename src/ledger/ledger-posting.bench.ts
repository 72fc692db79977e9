/**
 * Throughput of the database part of the ledger: LedgerRepository.postBatch on the real
 * PostgreSQL, with pre-built requests (no Kafka, no Avro), in a throw-away database.
 *
 *   npx tsx src/ledger/ledger-posting.bench.ts [--batch 1000] [--batches 40] [--accounts 32]
 *                                             [--concurrency 1,2,4] [--mode uniform,hot]
 *
 * uniform: each transfer moves money between two random customer accounts.
 * hot:     each transfer debits a random customer and credits the same merchant account.
 * Every batch holds new transfer ids; a warm-up batch per run is not counted.
 *
 * Besides wall-clock throughput it reports CPU time per transfer — of this Node process and of
 * the PostgreSQL backends serving it (from /proc, so run it on the database host) — which does
 * not depend on what else the machine is doing, and the load average during the run.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createTestDatabase } from '../../test/support/db.js';
import { type TransferRequest } from './domain/transfer.js';
import { initializeLedgerDataSource } from './ledger.data-source.js';
import { LedgerRepository } from './ledger.repository.js';

const { values } = parseArgs({
  options: {
    batch: { type: 'string', default: '1000' },
    batches: { type: 'string', default: '40' },
    accounts: { type: 'string', default: '32' },
    concurrency: { type: 'string', default: '1,2,4' },
    mode: { type: 'string', default: 'uniform,hot' },
  },
});
const batchSize = Number(values.batch);
const batchCount = Number(values.batches);
const accountCount = Number(values.accounts);
const concurrencies = values.concurrency.split(',').map(Number);
const modes = values.mode.split(',') as Array<'uniform' | 'hot'>;

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) used so far by the given processes, from /proc/<pid>/stat. */
async function processCpuSeconds(pids: readonly number[]): Promise<number> {
  let ticks = 0;
  for (const pid of pids) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11] ?? 0) + Number(fields[12] ?? 0);
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function request(debit: string, credit: string, amount: bigint): TransferRequest {
  return {
    transferId: randomUUID(),
    kind: 'TRANSFER',
    debitAccountId: debit,
    creditAccountId: credit,
    amountMinor: amount,
    currency: 'USD',
    relatedTransferId: null,
    timeoutSeconds: null,
    sourceSystem: 'bench',
    requestEventId: randomUUID(),
    requestedAt: new Date(),
    description: null,
    metadata: {},
  };
}

const customers = Array.from(
  { length: accountCount },
  (_, i) => `cust-${String(i).padStart(4, '0')}`,
);
const pick = (): string => customers[Math.floor(Math.random() * customers.length)] ?? 'cust-0000';

function makeBatch(mode: 'uniform' | 'hot'): TransferRequest[] {
  return Array.from({ length: batchSize }, () => {
    if (mode === 'hot')
      return request(pick(), 'merchant', BigInt(1 + Math.floor(Math.random() * 500)));
    let credit = pick();
    const debit = pick();
    while (credit === debit) credit = pick();
    return request(debit, credit, BigInt(1 + Math.floor(Math.random() * 500)));
  });
}

const db = await createTestDatabase('bench_ledger');
try {
  const dataSource = await initializeLedgerDataSource({
    url: db.url,
    poolMax: Math.max(...concurrencies) + 2,
    ssl: false,
    applicationName: 'ledger-bench',
  });
  const repo = new LedgerRepository(dataSource);
  await repo.createAccounts([
    { id: 'world', currency: 'USD', minBalanceMinor: null, sourceSystem: 'bench' },
    { id: 'merchant', currency: 'USD', sourceSystem: 'bench' },
    ...customers.map((id) => ({ id, currency: 'USD', sourceSystem: 'bench' })),
  ]);
  // Fund every customer generously so almost nothing is rejected.
  await repo.postBatch(customers.map((c) => request('world', c, 1_000_000_000_000n)));

  out(`batch=${batchSize} batches/run=${batchCount} customers=${accountCount}`);
  out(
    'mode     conc  transfers  seconds  transfers/s  ms/batch  node µs/tr  pg µs/tr  load1  rejected',
  );
  for (const mode of modes) {
    for (const concurrency of concurrencies) {
      // Warm-up, one batch per worker so the pool holds every connection the run will use.
      await Promise.all(Array.from({ length: concurrency }, () => repo.postBatch(makeBatch(mode))));
      const batches = Array.from({ length: batchCount }, () => makeBatch(mode));
      let next = 0;
      let rejected = 0;
      let busyMs = 0;
      const backends = (
        await dataSource.query<Array<{ pid: number }>>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = 'ledger-bench'`,
        )
      ).map((r) => r.pid);
      const pgCpuBefore = await processCpuSeconds(backends);
      const nodeCpuBefore = process.cpuUsage();
      const started = process.hrtime.bigint();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (;;) {
            const batch = batches[next++];
            if (batch === undefined) return;
            const t0 = performance.now();
            const result = await repo.postBatch(batch);
            busyMs += performance.now() - t0;
            rejected += result.counts.rejected;
          }
        }),
      );
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const nodeCpu = process.cpuUsage(nodeCpuBefore);
      const pgCpu = (await processCpuSeconds(backends)) - pgCpuBefore;
      const total = batchCount * batchSize;
      const nodeUs = (nodeCpu.user + nodeCpu.system) / total;
      const pgUs = (pgCpu * 1e6) / total;
      out(
        [
          mode.padEnd(8),
          String(concurrency).padStart(4),
          String(total).padStart(10),
          seconds.toFixed(2).padStart(7),
          String(Math.round(total / seconds)).padStart(11),
          (busyMs / batchCount).toFixed(1).padStart(8),
          nodeUs.toFixed(1).padStart(10),
          pgUs.toFixed(1).padStart(8),
          (loadavg()[0] ?? 0).toFixed(2).padStart(5),
          String(rejected).padStart(8),
        ].join(' '),
      );
    }
  }
  const sizes = await dataSource.query<Array<{ relname: string; size: string }>>(
    `SELECT relname, pg_size_pretty(pg_total_relation_size(c.oid)) AS size
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'ledger' AND c.relkind = 'r' ORDER BY pg_total_relation_size(c.oid) DESC`,
  );
  out(`table sizes: ${sizes.map((s) => `${s.relname}=${s.size}`).join(' ')}`);
  await dataSource.destroy();
} finally {
  await db.drop();
}
