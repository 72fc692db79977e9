import { type LoggerService } from '@nestjs/common';
import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * JSON logs on stdout, one fixed message plus structured fields per line
 * (`logger.warn({ transferId, partition, offset }, 'transfer rejected')`). One root logger per
 * process carrying the service name; each class takes a named child.
 */
export type AppLogger = Logger;

let root: Logger | undefined;

export function createRootLogger(service: string, options: LoggerOptions = {}): Logger {
  root = pino(
    {
      level: process.env.LOG_LEVEL ?? 'info',
      base: { service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      ...options,
    },
    // Written as logged: nothing is buffered, so nothing has to be flushed at exit. pino's
    // default (buffered) stdout flushes at exit with sonic-boom 4's flushSync, which retries a
    // broken pipe forever: a service whose log reader had gone (Ctrl-C on the demo) never
    // exited.
    pino.destination({ dest: 1, sync: true }),
  );
  return root;
}

export function rootLogger(): Logger {
  root ??= createRootLogger(process.env.SERVICE_NAME ?? 'streamline');
  return root;
}

export function namedLogger(name: string, fields: Record<string, unknown> = {}): Logger {
  return rootLogger().child({ logger: name, ...fields });
}

/** Routes Nest's own log calls into the JSON logger. */
export class NestPinoLogger implements LoggerService {
  private readonly logger: Logger;

  constructor(logger: Logger = rootLogger()) {
    this.logger = logger.child({ logger: 'nest' });
  }

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}
