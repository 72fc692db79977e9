import 'reflect-metadata';
import { rootLogger } from '../platform/logging/logger.js';
import { errorMessage } from '../platform/messaging/errors.js';
import { runService } from '../platform/service/run-service.js';
import { loadServiceConfig } from '../platform/service/service-config.js';
import { applyAlertingPlatformDefaults, loadAlertingSettings } from './alerting.config.js';
import { alertingAppModule } from './alerting.module.js';

/**
 * The alerting service: consumes logs.lines, runs the rule engine, persists alerts and emits
 * alert events (alerts.events) through its outbox; rules/alerts/silences API on port 3002.
 */
try {
  applyAlertingPlatformDefaults(process.env);
  const config = loadServiceConfig(process.env, 'alerting', 3002);
  const settings = loadAlertingSettings(process.env);
  await runService(alertingAppModule(config, settings), {
    config,
    title: 'Alerting API',
    description:
      'Log-line alerting: rules (pattern, frequency, spike, flatline, new_term) from a watched YAML file and this API, alerts with their matching lines, acknowledgements and silences. Alert events go to alerts.events.',
  });
} catch (err) {
  rootLogger().fatal({ err: errorMessage(err) }, 'alerting failed to start');
  process.exit(1);
}
