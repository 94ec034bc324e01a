import type { FastifyInstance } from 'fastify';
import { AppError, toErrorEnvelope } from '../errors.js';

/** A dependency /ready waits for; `check` rejects when it does not answer. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
}

const CHECK_TIMEOUT_MS = 2_000;

export function registerHealthRoutes(app: FastifyInstance, checks: ReadinessCheck[], isDraining: () => boolean): void {
  /** Liveness: the process answers. */
  app.get('/health', async () => ({ success: true, status: 'ok' }));

  /** Readiness: every dependency answers and the node is not shutting down. */
  app.get('/ready', async (_request, reply) => {
    const results = await Promise.all(
      checks.map(async ({ name, check }) => {
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS);
          return [name, 'ok'] as const;
        } catch {
          return [name, 'down'] as const;
        }
      }),
    );
    const draining = isDraining();
    const ready = !draining && results.every(([, state]) => state === 'ok');
    const checked = Object.fromEntries(results);
    if (ready) return { success: true, status: 'ready', checks: checked };
    const envelope = toErrorEnvelope(new AppError('UNAVAILABLE'));
    return reply.status(503).send({ ...envelope, status: draining ? 'draining' : 'unavailable', checks: checked });
  });
}

function withTimeout(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
