import { isAbsolute } from 'node:path';
import { applyAlertingPlatformDefaults, loadAlertingSettings } from './alerting.config.js';

describe('alerting settings', () => {
  it('has defaults, and resolves the rule file against the working directory', () => {
    const s = loadAlertingSettings({});
    expect(isAbsolute(s.rulesFile)).toBe(true);
    expect(s.rulesFile.endsWith('config/alert-rules.default.yaml')).toBe(true);
    expect(s).toMatchObject({ tickIntervalMs: 1000, caughtUpDelayMs: 2000, groupId: 'alerting' });
    expect(s.engine.maxLineLength).toBe(8192);
    expect(loadAlertingSettings({ ALERT_RULES_FILE: '/etc/rules.yaml' }).rulesFile).toBe(
      '/etc/rules.yaml',
    );
  });

  it('names the variable on bad input', () => {
    expect(() => loadAlertingSettings({ ALERT_TICK_INTERVAL_MS: 'soon' })).toThrow(
      /ALERT_TICK_INTERVAL_MS/,
    );
    expect(() => loadAlertingSettings({ ALERT_MAX_LINE_LENGTH: '10' })).toThrow(
      /ALERT_MAX_LINE_LENGTH/,
    );
  });

  it('sets platform defaults without overriding explicit settings', () => {
    const env: NodeJS.ProcessEnv = {};
    applyAlertingPlatformDefaults(env);
    expect(env).toMatchObject({ OUTBOX_POLL_INTERVAL_MS: '100', OUTBOX_RELAY_LANES: '2' });
    const explicit: NodeJS.ProcessEnv = { OUTBOX_POLL_INTERVAL_MS: '1000' };
    applyAlertingPlatformDefaults(explicit);
    expect(explicit.OUTBOX_POLL_INTERVAL_MS).toBe('1000');
  });
});
