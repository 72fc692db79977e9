import 'reflect-metadata';
import { rootLogger } from '../platform/logging/logger.js';
import { errorMessage } from '../platform/messaging/errors.js';
import { runService } from '../platform/service/run-service.js';
import { loadServiceConfig } from '../platform/service/service-config.js';
import { loadNotifierSettings } from './notifier.config.js';
import { notifierAppModule } from './notifier.module.js';

/**
 * The notifier service: consumes alerts.events, groups and paces per subscription, delivers
 * signed webhooks (Alertmanager's webhook format) or forwards to Alertmanager; API on 3003.
 */
try {
  const config = loadServiceConfig(process.env, 'notifier', 3003);
  const settings = loadNotifierSettings(process.env);
  await runService(notifierAppModule(config, settings), {
    config,
    title: 'Notifier API',
    description:
      'Alert subscriptions (filters on severity, labels, rule; Alertmanager-style group_wait / group_interval / repeat_interval), signed webhook delivery with retries and dead letters, a built-in Alertmanager receiver, and the delivery log.',
  });
} catch (err) {
  rootLogger().fatal({ err: errorMessage(err) }, 'notifier failed to start');
  process.exit(1);
}
