import { Controller, Get, Inject, NotFoundException, Param, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { RequireScopes } from '../platform/auth/auth.guard.js';
import {
  AggregatesQueryDto,
  AggregatesView,
  AnalysisView,
  MAX_AGGREGATE_ROWS,
  parseAggregatesQuery,
  parseCommentId,
  toAnalysisView,
} from './sentiment.dto.js';
import { SentimentRepository } from './sentiment.repository.js';

/** Read API for analysts: one comment's analysis, and the aggregates over a time range. */
@ApiTags('sentiment')
@ApiSecurity('api-key')
@ApiBearerAuth()
@Controller()
export class SentimentController {
  constructor(@Inject(SentimentRepository) private readonly repository: SentimentRepository) {}

  @Get('comments/:commentId/analysis')
  @RequireScopes('comments:read')
  @ApiOperation({ summary: 'The stored analysis of a comment (the first one made for its id).' })
  @ApiParam({ name: 'commentId', description: 'The caller’s comment id.' })
  @ApiOkResponse({ type: AnalysisView })
  @ApiNotFoundResponse({ description: 'SENTIMENT.ANALYSIS_NOT_FOUND: not analysed (yet).' })
  @ApiBadRequestResponse({ description: 'VALIDATION.INVALID with field errors.' })
  async analysis(@Param('commentId') commentId: string): Promise<AnalysisView> {
    const id = parseCommentId(commentId);
    const found = await this.repository.findOne(id);
    if (!found) {
      throw new NotFoundException({
        statusCode: 404,
        error: 'Not Found',
        code: 'SENTIMENT.ANALYSIS_NOT_FOUND',
        message: `no analysis for comment ${JSON.stringify(id)}`,
      });
    }
    return toAnalysisView(found);
  }

  @Get('aggregates')
  @RequireScopes('comments:read')
  @ApiOperation({
    summary: 'Comment counts and mean score per bucket, source and label over [from, to).',
    description:
      'Buckets are by the comment’s submittedAt, UTC-aligned; the range selects minute buckets ' +
      'whose start lies in [from, to). Redelivered comments are counted once.',
  })
  @ApiOkResponse({ type: AggregatesView })
  @ApiBadRequestResponse({ description: 'VALIDATION.INVALID with field errors.' })
  async aggregates(@Query() query: AggregatesQueryDto): Promise<AggregatesView> {
    const q = await parseAggregatesQuery(query);
    const [{ rows, truncated }, totals] = await Promise.all([
      this.repository.aggregates({ ...q, limit: MAX_AGGREGATE_ROWS }),
      this.repository.totals(q),
    ]);
    return {
      from: q.from.toISOString(),
      to: q.to.toISOString(),
      bucket: q.bucket,
      source: q.source ?? null,
      series: rows.map((r) => ({
        bucket: r.bucket.toISOString(),
        source: r.source,
        label: r.label,
        comments: r.comments,
        meanScore: r.meanScore,
      })),
      totals: totals.map((t) => ({ ...t })),
      truncated,
    };
  }
}
