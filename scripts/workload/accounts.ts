import { type WorkloadAccount } from './transfers.js';

export type AccountsMode = 'auto' | 'http' | 'db' | 'skip';

export interface AccountsResult {
  /** How the accounts were opened. */
  readonly via: 'http' | 'db' | 'skipped';
  readonly created: number;
  readonly existing: number;
  readonly failed: Array<{ id: string; reason: string }>;
}

export interface AccountsSetup {
  readonly mode: AccountsMode;
  /** Ledger base URL (its HTTP API: POST /accounts, scope ledger:write). */
  readonly ledgerUrl: string;
  readonly apiKey: string | undefined;
  /** For mode db: the environment with DATABASE_URL (the ledger's database). */
  readonly env: NodeJS.ProcessEnv;
  readonly log: (message: string) => void;
}

/**
 * Opens the workload's accounts before any transfer is sent, idempotently (an account that
 * exists with the same terms counts as existing):
 * - `http`: the ledger's API, `POST {ledgerUrl}/accounts` with `x-api-key` (scope ledger:write);
 * - `db`: the ledger's own repository on DATABASE_URL (runs its migrations; for when the ledger
 *   service or an API key is not available);
 * - `auto`: http when the ledger answers /health/ready and an API key is set, else db;
 * - `skip`: none (transfers to unknown accounts are then rejected by the ledger).
 */
export async function ensureAccounts(
  accounts: readonly WorkloadAccount[],
  setup: AccountsSetup,
): Promise<AccountsResult> {
  if (setup.mode === 'skip') return { via: 'skipped', created: 0, existing: 0, failed: [] };
  let mode = setup.mode;
  if (mode === 'auto') {
    const ready = await fetch(`${setup.ledgerUrl}/health/ready`, {
      signal: AbortSignal.timeout(2000),
    })
      .then((r) => r.status === 200)
      .catch(() => false);
    mode = ready && setup.apiKey ? 'http' : 'db';
    if (mode === 'db') {
      setup.log(
        `accounts: ${ready ? 'no API key (--api-key or STREAMLINE_API_KEY)' : `ledger not ready at ${setup.ledgerUrl}`}; opening them with the ledger repository on DATABASE_URL`,
      );
    }
  }
  return mode === 'http' ? viaHttp(accounts, setup) : viaRepository(accounts, setup);
}

async function viaHttp(
  accounts: readonly WorkloadAccount[],
  setup: AccountsSetup,
): Promise<AccountsResult> {
  if (!setup.apiKey)
    throw new Error(
      'accounts via http need an API key with ledger:write (--api-key or STREAMLINE_API_KEY)',
    );
  let created = 0;
  let existing = 0;
  const failed: Array<{ id: string; reason: string }> = [];
  const queue = [...accounts];
  const worker = async (): Promise<void> => {
    for (let a = queue.shift(); a; a = queue.shift()) {
      const res = await fetch(`${setup.ledgerUrl}/accounts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': setup.apiKey ?? '' },
        body: JSON.stringify({
          id: a.id,
          currency: a.currency,
          minBalanceMinor: a.minBalanceMinor === null ? null : String(a.minBalanceMinor),
          description: `streamline workload ${a.role}`,
          metadata: { generator: 'streamline-workload', role: a.role },
        }),
        signal: AbortSignal.timeout(10_000),
      });
      if (res.status === 201) created += 1;
      else if (res.status === 200) existing += 1;
      else
        failed.push({
          id: a.id,
          reason: `HTTP ${res.status}: ${(await res.text()).slice(0, 300)}`,
        });
    }
  };
  await Promise.all(Array.from({ length: 8 }, () => worker()));
  return { via: 'http', created, existing, failed };
}

async function viaRepository(
  accounts: readonly WorkloadAccount[],
  setup: AccountsSetup,
): Promise<AccountsResult> {
  // Loaded only here: TypeORM and the ledger's code are not needed otherwise.
  const { initializeLedgerDataSource, ledgerDatabaseConfigFromEnv } =
    await import('../../src/ledger/ledger.data-source.js');
  const { LedgerRepository } = await import('../../src/ledger/ledger.repository.js');
  const dataSource = await initializeLedgerDataSource({
    ...ledgerDatabaseConfigFromEnv(setup.env),
    poolMax: 2,
    applicationName: 'streamline-workload',
  });
  try {
    const results = await new LedgerRepository(dataSource).createAccounts(
      accounts.map((a) => ({
        id: a.id,
        currency: a.currency,
        minBalanceMinor: a.minBalanceMinor === null ? null : BigInt(a.minBalanceMinor),
        description: `streamline workload ${a.role}`,
        metadata: { generator: 'streamline-workload', role: a.role },
        sourceSystem: 'streamline-workload',
      })),
    );
    let created = 0;
    let existing = 0;
    const failed: Array<{ id: string; reason: string }> = [];
    for (const r of results) {
      if (r.status === 'CREATED') created += 1;
      else if (r.status === 'EXISTS') existing += 1;
      else failed.push({ id: r.accountId, reason: `${r.code}: ${r.reason}` });
    }
    return { via: 'db', created, existing, failed };
  } finally {
    await dataSource.destroy();
  }
}
