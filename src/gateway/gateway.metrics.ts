import { Counter, Histogram, type Registry } from 'prom-client';

/** Gateway metrics (bounded labels: stream, route template, status, reason). */
export class GatewayMetrics {
  readonly requests: Counter<'route' | 'status'>;
  readonly duration: Histogram<'route'>;
  readonly events: Counter<'stream'>;
  readonly rejected: Counter<'reason'>;
  readonly idempotency: Counter<'outcome'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'streamline_gateway_http_requests_total',
      help: 'HTTP requests answered by the gateway, by route template and status code.',
      labelNames: ['route', 'status'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'streamline_gateway_http_request_duration_seconds',
      help: 'Time from request to response, by route template.',
      labelNames: ['route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    });
    this.events = new Counter({
      name: 'streamline_gateway_events_accepted_total',
      help: 'Events acknowledged by the broker and answered 202, by stream.',
      labelNames: ['stream'],
      registers: [registry],
    });
    this.rejected = new Counter({
      name: 'streamline_gateway_rejected_total',
      help: 'Requests refused before publishing, by reason (rate, quota, validation, body, overload).',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.idempotency = new Counter({
      name: 'streamline_gateway_idempotency_total',
      help: 'Requests with an Idempotency-Key, by outcome (published, replayed, conflict, in_progress).',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }
}
