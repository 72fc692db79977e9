import {
  applyDecorators,
  Controller,
  HttpCode,
  Inject,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOperation,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';
import { RequireScopes } from '../platform/auth/auth.guard.js';
import { AdmissionGuard, type GatewayRequest } from './admission.guard.js';
import { IngestService } from './ingest.service.js';
import { COMMENTS, LOGS, requestSchemaOf, TRANSFERS } from './streams.js';

const errorSchema = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    error: { type: 'string' },
    code: { type: 'string' },
    message: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          field: { type: 'string' },
          code: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
};

const IdempotencyHeader = ApiHeader({
  name: 'Idempotency-Key',
  required: false,
  description:
    '1-255 visible ASCII characters, per API key, kept 24 h. A retry with the same key and body gets the original answer (Idempotent-Replayed: true) and publishes nothing; the same key with another body → 409. See docs/security.md.',
});

const TraceHeaders = (): MethodDecorator => {
  const decorators = [
    ApiHeader({
      name: 'traceparent',
      required: false,
      description:
        'W3C trace context (`00-<trace id>-<span id>-<flags>`). When valid, every record of the request carries it in its Kafka headers (and every service continues that trace); otherwise the gateway starts a new trace. The answer carries the `traceparent` used.',
    }),
    ApiHeader({
      name: 'tracestate',
      required: false,
      description:
        'W3C vendor trace state, forwarded with a valid traceparent (up to 512 characters).',
    }),
  ];
  return (target, key, descriptor) => {
    for (const d of decorators) d(target, key, descriptor);
  };
};

/** The trace context the request's records carry (see the traceparent request header). */
const traceparentAnswer = {
  traceparent: {
    description: 'W3C traceparent of the request: its records carry it in their Kafka headers.',
    schema: { type: 'string' },
  },
};

const CommonResponses = (): MethodDecorator => {
  const decorators = [
    ApiResponse({
      status: 400,
      description: 'Malformed JSON, invalid UTF-8, or field errors (`errors`); nothing published.',
      schema: errorSchema,
    }),
    ApiResponse({ status: 401, description: 'Missing or invalid API key.', schema: errorSchema }),
    ApiResponse({ status: 403, description: 'The key lacks the scope.', schema: errorSchema }),
    ApiResponse({
      status: 409,
      description: 'Idempotency-Key reused with another body, or still in progress.',
      schema: errorSchema,
    }),
    ApiResponse({ status: 413, description: 'Body or batch too large.', schema: errorSchema }),
    ApiResponse({
      status: 415,
      description: 'Unsupported Content-Type or charset.',
      schema: errorSchema,
    }),
    ApiResponse({
      status: 429,
      description: 'Rate limit or monthly quota exceeded (Retry-After).',
      schema: errorSchema,
    }),
    ApiResponse({
      status: 503,
      description: 'The broker did not acknowledge; retry (Retry-After).',
      schema: errorSchema,
    }),
  ];
  return (target, key, descriptor) => {
    for (const d of decorators) d(target, key, descriptor);
  };
};

const single = {
  type: 'object',
  properties: { eventId: { type: 'string', format: 'uuid' } },
};
const batch = {
  type: 'object',
  properties: {
    eventIds: { type: 'array', items: { type: 'string', format: 'uuid' } },
    count: { type: 'integer' },
  },
};

/** The answers every ingest route documents: 202 (with its trace context) and the errors. */
function Accepted(
  schema: typeof single | typeof batch,
  description = 'Acknowledged by the broker.',
): MethodDecorator {
  return applyDecorators(
    IdempotencyHeader,
    TraceHeaders(),
    ApiResponse({ status: 202, description, schema, headers: traceparentAnswer }),
    CommonResponses(),
  );
}

/**
 * Ingest endpoints. Each answers 202 with the event id(s) only after the broker acknowledged
 * the event(s) with acks=all; nothing is published for any 4xx.
 */
@ApiTags('ingest')
@ApiSecurity('api-key')
@Controller('v1')
@UseGuards(AdmissionGuard)
export class IngestController {
  constructor(@Inject(IngestService) private readonly ingest: IngestService) {}

  @Post('transfers')
  @HttpCode(202)
  @RequireScopes(TRANSFERS.scope)
  @ApiOperation({
    summary: 'Request a ledger transfer (TransferRequested → transactions.requested)',
    description:
      'Body: a TransferRequested (schemas/transfer-requested.avsc) as plain JSON. The gateway fills eventId and requestedAt when omitted. Scope transfers:publish.',
  })
  @ApiConsumes('application/json')
  @ApiBody({ schema: requestSchemaOf(TRANSFERS) })
  @Accepted(single)
  transfers(
    @Req() req: GatewayRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    return this.ingest.handle(TRANSFERS, 'single', req, reply);
  }

  @Post('logs')
  @HttpCode(202)
  @RequireScopes(LOGS.scope)
  @ApiOperation({
    summary: 'Ship one log line (LogLine → logs.lines)',
    description: 'The gateway fills eventId and timestamp when omitted. Scope logs:publish.',
  })
  @ApiConsumes('application/json')
  @ApiBody({ schema: requestSchemaOf(LOGS) })
  @Accepted(single)
  log(
    @Req() req: GatewayRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    return this.ingest.handle(LOGS, 'single', req, reply);
  }

  @Post('logs/batch')
  @HttpCode(202)
  @RequireScopes(LOGS.scope)
  @ApiOperation({
    summary: 'Ship log lines in bulk: a JSON array, or NDJSON (one LogLine per line)',
    description:
      'All or nothing: one invalid line → 400 listing every field error by index ([i].field), nothing published. At most GATEWAY_MAX_BATCH_ITEMS lines (default 1000). Counts as one request for rate limit and quota.',
  })
  @ApiConsumes('application/json', 'application/x-ndjson')
  @ApiBody({ schema: { type: 'array', items: requestSchemaOf(LOGS) } })
  @Accepted(batch, 'All lines acknowledged by the broker, each with the request trace context.')
  logBatch(
    @Req() req: GatewayRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    return this.ingest.handle(LOGS, 'batch', req, reply);
  }

  @Post('comments')
  @HttpCode(202)
  @RequireScopes(COMMENTS.scope)
  @ApiOperation({
    summary: 'Submit a comment for sentiment analysis (CommentSubmitted → comments.submitted)',
    description: 'The gateway fills eventId and submittedAt when omitted. Scope comments:publish.',
  })
  @ApiConsumes('application/json')
  @ApiBody({ schema: requestSchemaOf(COMMENTS) })
  @Accepted(single)
  comment(
    @Req() req: GatewayRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Record<string, unknown>> {
    return this.ingest.handle(COMMENTS, 'single', req, reply);
  }
}
