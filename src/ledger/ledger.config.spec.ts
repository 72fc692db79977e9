import { applyLedgerPlatformDefaults, loadLedgerConfig } from './ledger.config.js';

describe('loadLedgerConfig', () => {
  it('has defaults tuned for one large batch in flight', () => {
    expect(loadLedgerConfig({})).toEqual({
      consumerGroup: 'ledger',
      chunkSize: 2000,
      partitionsConcurrently: 6,
      maxBatch: 6000,
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 3000,
      maxBytesPerPartition: 512 * 1024,
      fetchMaxWaitMs: 50,
      expiryIntervalMs: 1000,
      expiryBatch: 1000,
      vacuumIntervalMs: 5000,
      vacuumDeadRows: 5000,
    });
  });

  it('reads overrides and keeps the heartbeat below the session timeout', () => {
    const c = loadLedgerConfig({
      LEDGER_CONSUMER_GROUP: 'ledger-test',
      LEDGER_CHUNK_SIZE: '500',
      LEDGER_SESSION_TIMEOUT_MS: '6000',
      LEDGER_EXPIRY_INTERVAL_MS: '0',
    });
    expect(c).toMatchObject({
      consumerGroup: 'ledger-test',
      chunkSize: 500,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 2000,
      expiryIntervalMs: 0,
    });
  });

  it('names the variable when a value is wrong', () => {
    expect(() => loadLedgerConfig({ LEDGER_MAX_BATCH: '20000' })).toThrow(/LEDGER_MAX_BATCH/);
    expect(() => loadLedgerConfig({ LEDGER_CHUNK_SIZE: 'lots' })).toThrow(/LEDGER_CHUNK_SIZE/);
    expect(() =>
      loadLedgerConfig({ LEDGER_SESSION_TIMEOUT_MS: '6000', LEDGER_HEARTBEAT_INTERVAL_MS: '5000' }),
    ).toThrow(/LEDGER_HEARTBEAT_INTERVAL_MS/);
  });
});

describe('applyLedgerPlatformDefaults', () => {
  it('shortens the relay poll fallback unless it is set explicitly', () => {
    const env: NodeJS.ProcessEnv = {};
    applyLedgerPlatformDefaults(env);
    expect(env.OUTBOX_POLL_INTERVAL_MS).toBe('100');
    const explicit: NodeJS.ProcessEnv = { OUTBOX_POLL_INTERVAL_MS: '1000' };
    applyLedgerPlatformDefaults(explicit);
    expect(explicit.OUTBOX_POLL_INTERVAL_MS).toBe('1000');
  });
});
