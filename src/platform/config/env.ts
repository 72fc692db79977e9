import { readFileSync } from 'node:fs';

/**
 * Typed configuration parsed once at boot. Every reader fails fast with an error that names the
 * environment variable and what was wrong with it, so a misconfigured deployment says exactly
 * which knob to turn.
 */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`config: ${variable} ${reason}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

export function envString(env: Env, name: string, fallback?: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    if (fallback !== undefined) return fallback;
    throw new ConfigError(name, 'is required but not set');
  }
  return raw;
}

export function envOptional(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}

export function envInt(
  env: Env,
  name: string,
  fallback: number,
  bounds: { min?: number; max?: number } = {},
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number.parseInt(raw, 10);
  if (bounds.min !== undefined && value < bounds.min)
    throw new ConfigError(name, `must be >= ${bounds.min}, got ${value}`);
  if (bounds.max !== undefined && value > bounds.max)
    throw new ConfigError(name, `must be <= ${bounds.max}, got ${value}`);
  return value;
}

export function envBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, `must be a boolean (true/false), got "${raw}"`);
}

export function envList(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function envUrl(env: Env, name: string, fallback?: string): string {
  const raw = envString(env, name, fallback);
  try {
    new URL(raw);
  } catch {
    throw new ConfigError(name, `must be a URL, got "${raw}"`);
  }
  return raw;
}

export type ReadTextFile = (path: string) => string;

const readUtf8: ReadTextFile = (path) => readFileSync(path, 'utf8');

/**
 * Reads the PEM bundle of CA certificates that variable `name` points at (its value is `path`),
 * at boot: a missing, unreadable or non-PEM file stops the process naming the variable, instead
 * of surfacing later as a TLS handshake error.
 */
export function readCaBundle(
  name: string,
  path: string,
  readFile: ReadTextFile = readUtf8,
): string {
  let pem: string;
  try {
    pem = readFile(path);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(name, `cannot be read (${path}): ${reason}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ConfigError(name, `must name a PEM file of CA certificates, got ${path}`);
  }
  return pem;
}
