import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type FastifyInstance } from 'fastify';
import { type GatewayConfig } from './gateway.config.js';
import { GatewayMetrics } from './gateway.metrics.js';
import { GATEWAY_CONFIG } from './gateway.tokens.js';

/** Media types the gateway reads; any other Content-Type with a body → 415 (before auth). */
export const ACCEPTED_MEDIA_TYPES = [
  'application/json',
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
];

/**
 * Fastify-level setup of the gateway, done before the server listens:
 * - Bodies are kept as raw bytes (limit GATEWAY_MAX_BATCH_BYTES; larger → 413 without reading
 *   further) and decoded by the route AFTER authentication: strict UTF-8, JSON or NDJSON. The
 *   default parsers (JSON, text, urlencoded) are removed, so unauthenticated callers cannot make
 *   the server parse anything, and every other media type gets 415.
 * - Request count and latency per route template for Prometheus.
 */
@Injectable()
export class GatewayHttpSetup implements OnModuleInit {
  constructor(
    @Inject(HttpAdapterHost) private readonly host: HttpAdapterHost,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(GatewayMetrics) private readonly metrics: GatewayMetrics,
  ) {}

  onModuleInit(): void {
    const fastify = this.host.httpAdapter.getInstance<FastifyInstance>();
    for (const type of ['application/json', 'text/plain', 'application/x-www-form-urlencoded']) {
      if (fastify.hasContentTypeParser(type)) fastify.removeContentTypeParser(type);
    }
    fastify.addContentTypeParser(
      ACCEPTED_MEDIA_TYPES,
      { parseAs: 'buffer', bodyLimit: this.config.maxBatchBytes },
      (_req, body, done) => done(null, body),
    );
    // Labelled children cached per (route, status): no label hashing per response.
    const metrics = this.metrics;
    const children = new Map<string, { count: () => void; time: (s: number) => void }>();
    fastify.addHook('onResponse', (request, reply, done) => {
      const route = request.routeOptions.url ?? 'unmatched';
      const id = `${reply.statusCode} ${route}`;
      let child = children.get(id);
      if (!child) {
        const counter = metrics.requests.labels({ route, status: String(reply.statusCode) });
        const histogram = metrics.duration.labels({ route });
        child = { count: () => counter.inc(), time: (s) => histogram.observe(s) };
        children.set(id, child);
      }
      child.count();
      child.time(reply.elapsedTime / 1000);
      done();
    });
  }
}
