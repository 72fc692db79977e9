import { type LogLine } from '../../../platform/schemas/generated.js';
import { AlertEngine, type EngineOptions } from '../alert-engine.js';
import { type CompiledRuleSet, compileRuleSet } from '../rules/rule-loader.js';

/** Test helpers (used by *.spec.ts only): rule sets from plain objects, lines, a clock. */
export function ruleSet(...rules: Array<Record<string, unknown>>): CompiledRuleSet {
  const res = compileRuleSet({ rules });
  if (!res.ok) throw new Error(`invalid test rules: ${JSON.stringify(res.errors, null, 2)}`);
  return res.value;
}

export function engine(rules: CompiledRuleSet, options: EngineOptions = {}): AlertEngine {
  return new AlertEngine(rules, options);
}

export const T0 = Date.UTC(2024, 0, 1, 0, 0, 0);
export const SEC = 1000;
export const MIN = 60_000;

let counter = 0;

export function line(at: number, message: string, extra: Partial<LogLine> = {}): LogLine {
  counter++;
  const hex = counter.toString(16).padStart(12, '0');
  return {
    eventId: `00000000-0000-4000-8000-${hex}`,
    timestamp: at,
    source: 'app',
    host: 'h1',
    level: 'INFO',
    message,
    fields: {},
    ...extra,
  };
}
