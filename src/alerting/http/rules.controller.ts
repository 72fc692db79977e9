import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import {
  ApiBody,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { RequireScopes } from '../../platform/auth/auth.guard.js';
import { type RuleError } from '../domain/index.js';
import { EngineHost } from '../engine/engine-host.js';
import { rawRules } from '../rules/rule-document.js';
import { type ApplyResult, RulesService } from '../rules/rules.service.js';
import {
  engineCall,
  errorSchema,
  httpError,
  principalName,
  type PrincipalRequest,
} from './http-errors.js';

type Req = PrincipalRequest;

const documentBody = {
  description:
    'A rule document in the rule file format (config/alert-rules.default.yaml) as JSON, or {"yaml": "<the file text>"}.',
  schema: {
    type: 'object',
    properties: {
      version: { type: 'integer', example: 1 },
      defaults: { type: 'object' },
      rules: { type: 'array', items: { type: 'object' } },
      yaml: { type: 'string' },
    },
  },
};

function rejected(errors: readonly RuleError[]): never {
  throw httpError(
    400,
    'RULES.INVALID',
    `rule set rejected (${errors.length} error(s)); the running rules are unchanged`,
    errors.map((e) => ({
      ruleId: e.ruleId,
      index: e.index,
      field: e.field,
      code: e.code,
      message: e.message,
    })),
  );
}

/**
 * The rule set: read it, validate a candidate, replace it, or change single rules. Every
 * change is validated and compiled completely before it replaces the running set, which stays
 * in place on any error. Changes are versioned (GET /rules/versions).
 */
@ApiTags('rules')
@ApiSecurity('api-key')
@Controller('rules')
export class RulesController {
  constructor(
    @Inject(EngineHost) private readonly host: EngineHost,
    @Inject(RulesService) private readonly rules: RulesService,
  ) {}

  private summary(): Record<string, unknown> {
    const { row, compiled } = this.host.ruleSet;
    const file = this.host.ruleFile;
    return {
      version: row.version,
      revision: row.revision,
      source: row.source,
      createdBy: row.createdBy,
      createdAt: new Date(row.createdAt).toISOString(),
      enabledRules: compiled.enabled.length,
      file: {
        path: file.path,
        applied: file.applied,
        checkedAt: file.checkedAt === null ? null : new Date(file.checkedAt).toISOString(),
        errors: file.errors,
      },
    };
  }

  @Get()
  @RequireScopes('alerts:read')
  @ApiOperation({
    summary: 'The running rule set: version, source, rules (as written and as normalised)',
    description:
      'file.errors lists why the rule file was last rejected, if it was. Scope alerts:read.',
  })
  list(): Record<string, unknown> {
    const { row } = this.host.ruleSet;
    const raw = rawRules(row.document);
    return {
      ...this.summary(),
      document: row.document,
      rules: row.specs.map((spec) => ({
        id: spec.id,
        spec,
        raw: raw.find((r) => r['id'] === spec.id) ?? null,
      })),
    };
  }

  @Get('versions')
  @RequireScopes('alerts:read')
  @ApiOperation({ summary: 'Rule set history, newest first' })
  @ApiQuery({ name: 'limit', required: false })
  async versions(@Query('limit') limit?: string): Promise<Record<string, unknown>> {
    const n = limit && /^\d+$/.test(limit) ? Math.min(500, Math.max(1, Number(limit))) : 50;
    const rows = await this.host.store.listRuleSets(n);
    return { items: rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt).toISOString() })) };
  }

  @Get('versions/:version')
  @RequireScopes('alerts:read')
  @ApiOperation({ summary: 'One rule set version (document and normalised rules)' })
  async version(@Param('version') version: string): Promise<Record<string, unknown>> {
    const row = /^\d+$/.test(version) ? await this.host.store.getRuleSet(Number(version)) : null;
    if (!row) throw httpError(404, 'RULES.VERSION_NOT_FOUND', `no rule set version ${version}`);
    return { ...row, createdAt: new Date(row.createdAt).toISOString() };
  }

  @Get(':id')
  @RequireScopes('alerts:read')
  @ApiOperation({ summary: 'One rule of the running set' })
  @ApiResponse({ status: 404, schema: errorSchema })
  get(@Param('id') id: string): Record<string, unknown> {
    const { row } = this.host.ruleSet;
    const spec = row.specs.find((s) => s.id === id);
    if (!spec) throw httpError(404, 'RULE.NOT_FOUND', `no rule ${id}`);
    return {
      id,
      spec,
      raw: rawRules(row.document).find((r) => r['id'] === id) ?? null,
    };
  }

  @Post('validate')
  @HttpCode(200)
  @RequireScopes('alerts:read')
  @ApiOperation({
    summary: 'Validate a rule document without applying it',
    description:
      'Always 200: { valid, errors: [{ ruleId, field, code, message }] }. Scope alerts:read.',
  })
  @ApiBody(documentBody)
  validate(@Body() body: unknown): Record<string, unknown> {
    const res = this.rules.validate(body);
    return res.ok
      ? {
          valid: true,
          errors: [],
          rules: res.compiled.rules.length,
          enabledRules: res.compiled.enabled.length,
          revision: res.compiled.revision,
        }
      : { valid: false, errors: res.errors };
  }

  @Put()
  @RequireScopes('alerts:write')
  @ApiOperation({
    summary: 'Replace the whole rule set',
    description:
      '400 RULES.INVALID with every error when the document is invalid (nothing changes). The new set stays until the next API change or an edit of the rule file. Scope alerts:write.',
  })
  @ApiBody(documentBody)
  @ApiResponse({ status: 400, schema: errorSchema })
  async replace(@Body() body: unknown, @Req() req: Req): Promise<Record<string, unknown>> {
    return this.result(await engineCall(() => this.rules.replace(body, principalName(req))));
  }

  @Put(':id')
  @RequireScopes('alerts:write')
  @ApiOperation({
    summary: 'Create or replace one rule (rule file format; the id comes from the path)',
    description: 'The whole set is validated with the change. Scope alerts:write.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      example: { type: 'pattern', severity: 'high', match: { keywords: ['panic'] } },
    },
  })
  @ApiResponse({ status: 400, schema: errorSchema })
  async upsert(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: Req,
  ): Promise<Record<string, unknown>> {
    return this.result(await engineCall(() => this.rules.upsert(id, body, principalName(req))));
  }

  @Delete(':id')
  @HttpCode(200)
  @RequireScopes('alerts:write')
  @ApiOperation({
    summary: 'Delete one rule (its alerts resolve)',
    description: 'Scope alerts:write.',
  })
  @ApiResponse({ status: 404, schema: errorSchema })
  async remove(@Param('id') id: string, @Req() req: Req): Promise<Record<string, unknown>> {
    const res = await engineCall(() => this.rules.remove(id, principalName(req)));
    if (!res) throw httpError(404, 'RULE.NOT_FOUND', `no rule ${id}`);
    return this.result(res);
  }

  private result(res: ApplyResult): Record<string, unknown> {
    if (!res.ok) rejected(res.errors);
    return { changed: res.changed, ...this.summary() };
  }
}
