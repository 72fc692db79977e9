import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import { namedLogger } from '../../platform/logging/logger.js';
import { errorMessage } from '../../platform/messaging/errors.js';
import { type RuleError } from '../domain/index.js';
import { EngineHost } from '../engine/engine-host.js';
import { type RuleSetRow } from '../persistence/alerting.store.js';
import {
  compileDocument,
  compileDocumentText,
  type DocumentResult,
  readRuleFile,
  withoutRule,
  withRule,
} from './rule-document.js';

export type ApplyResult =
  | { readonly ok: true; readonly row: RuleSetRow; readonly changed: boolean }
  | { readonly ok: false; readonly errors: readonly RuleError[] };

/**
 * Rule set changes: the rule file (watched with fs.watch on its directory, plus a poll as a
 * fallback; editors often replace the file) and the HTTP API. A candidate is validated and
 * compiled completely first; an invalid one is rejected with every error (rule id, field,
 * reason) and the running rules stay as they are.
 */
@Injectable()
export class RulesService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = namedLogger('RulesService');
  private watcher: FSWatcher | undefined;
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private checking: Promise<void> | null = null;
  private again = false;

  constructor(@Inject(EngineHost) private readonly host: EngineHost) {}

  onApplicationBootstrap(): void {
    const file = this.host.settings.rulesFile;
    try {
      this.watcher = watch(dirname(file), (_event, name) => {
        if (name === null || name === basename(file)) this.scheduleCheck(100);
      });
      this.watcher.on('error', (err) => {
        this.logger.warn({ err: errorMessage(err) }, 'rule file watch failed; polling only');
      });
    } catch (err) {
      this.logger.warn(
        { file, err: errorMessage(err) },
        'cannot watch the rule file; polling only',
      );
    }
    this.poll = setInterval(() => this.scheduleCheck(0), this.host.settings.rulesPollMs);
    this.poll.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.watcher?.close();
    clearInterval(this.poll);
    clearTimeout(this.debounce);
    await this.checking;
  }

  private scheduleCheck(delayMs: number): void {
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      if (this.checking) {
        this.again = true;
        return;
      }
      this.checking = this.checkFile().finally(() => {
        this.checking = null;
        if (this.again) {
          this.again = false;
          this.scheduleCheck(0);
        }
      });
    }, delayMs);
  }

  /** Reads the rule file and applies it when its content changed and is valid. */
  async checkFile(): Promise<void> {
    const status = this.host.ruleFile;
    try {
      const file = await readRuleFile(status.path);
      this.host.ruleFile.checkedAt = Date.now();
      if (!file || file.hash === status.hash) return;
      this.host.ruleFile.hash = file.hash;
      const res = compileDocumentText(file.text);
      if (!res.ok) {
        this.host.ruleFile.applied = false;
        this.host.ruleFile.errors = res.errors;
        this.host.metrics.reloads.inc({ source: 'file', outcome: 'rejected' });
        this.logger.error(
          { file: status.path, errors: res.errors },
          'rule file rejected; the running rules stay active',
        );
        return;
      }
      await this.host.applyRuleSet(
        res.document,
        res.compiled,
        'file',
        `file:${status.path}`,
        file.hash,
      );
      this.host.ruleFile.applied = true;
      this.host.ruleFile.errors = [];
    } catch (err) {
      // Retried on the next poll: forget the hash so the same content is looked at again.
      this.host.ruleFile.hash = null;
      this.logger.warn({ file: status.path, err: errorMessage(err) }, 'rule file check failed');
    }
  }

  validate(input: unknown): DocumentResult {
    return parseInput(input);
  }

  async replace(input: unknown, by: string): Promise<ApplyResult> {
    return this.apply(parseInput(input), by);
  }

  async upsert(id: string, rule: unknown, by: string): Promise<ApplyResult> {
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule))
      return invalid('rule', 'RULE.TYPE', 'a rule is a map', id);
    const body = rule as Record<string, unknown>;
    if (body['id'] !== undefined && body['id'] !== id)
      return invalid(
        'id',
        'RULE.ID_MISMATCH',
        `body id ${JSON.stringify(body['id'])} differs from the path`,
        id,
      );
    const doc = withRule(this.host.ruleSet.row.document, { ...body, id });
    return this.apply(compileDocument(doc), by);
  }

  async remove(id: string, by: string): Promise<ApplyResult | null> {
    const doc = withoutRule(this.host.ruleSet.row.document, id);
    if (!doc) return null;
    return this.apply(compileDocument(doc), by);
  }

  private async apply(res: DocumentResult, by: string): Promise<ApplyResult> {
    if (!res.ok) {
      this.host.metrics.reloads.inc({ source: 'api', outcome: 'rejected' });
      return { ok: false, errors: res.errors };
    }
    const { row, changed } = await this.host.applyRuleSet(
      res.document,
      res.compiled,
      'api',
      by,
      null,
    );
    return { ok: true, row, changed };
  }
}

/** API bodies: the document as JSON, or `{ "yaml": "<rule file text>" }`. */
function parseInput(input: unknown): DocumentResult {
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const yaml = (input as Record<string, unknown>)['yaml'];
    if (typeof yaml === 'string' && Object.keys(input).length === 1)
      return compileDocumentText(yaml);
  }
  return compileDocument(input);
}

function invalid(field: string, code: string, message: string, ruleId: string): ApplyResult {
  return { ok: false, errors: [{ ruleId, index: null, field, code, message }] };
}
