import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../observability/metrics.js';

/** GET /metrics: every metric of this node in the Prometheus text format (README "Monitoring"). */
export function registerMetricsRoute(app: FastifyInstance, metrics: Metrics): void {
  app.get('/metrics', async (_request, reply) => reply.type(metrics.contentType).send(await metrics.render()));
}
