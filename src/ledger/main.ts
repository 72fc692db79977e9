import 'reflect-metadata';
import { rootLogger } from '../platform/logging/logger.js';
import { errorMessage } from '../platform/messaging/errors.js';
import { runService } from '../platform/service/run-service.js';
import { loadServiceConfig } from '../platform/service/service-config.js';
import { applyLedgerPlatformDefaults, loadLedgerConfig } from './ledger.config.js';
import { ledgerAppModule } from './ledger.module.js';

/**
 * The ledger service: consumes `transactions.requested`, posts transfers in batches, publishes
 * outcomes through its outbox, serves the accounts/transfers API on port 3001 (OpenAPI at /docs).
 */
try {
  applyLedgerPlatformDefaults(process.env);
  const config = loadServiceConfig(process.env, 'ledger', 3001);
  const ledger = loadLedgerConfig(process.env);
  await runService(ledgerAppModule(config, ledger), {
    config,
    title: 'Ledger API',
    description:
      'Double-entry ledger: accounts with bounds, balances (also as of a past time), journal entries and transfer outcomes. Money is in minor units, as decimal strings. Transfers are requested on Kafka (transactions.requested).',
  });
} catch (err) {
  rootLogger().fatal({ err: errorMessage(err) }, 'ledger failed to start');
  process.exit(1);
}
