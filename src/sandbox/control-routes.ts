/**
 * Control endpoints (documented in the README): faults, rate limits, stats and reset here; seeding, bulk stock changes
 * and channel holdings are added by the catalogue and marketplace modules.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { FACES, faultConfigSchema, type Face } from './faults';
import { onlyGiven } from './http-helpers';
import type { SandboxState } from './state';
import { drfFieldErrors } from '../../workflows/issues';

const faceParam = z.object({ face: z.enum(FACES) });

export function controlRoutes(state: SandboxState): FastifyPluginAsync {
  return async (app) => {
    app.get('/health', async () => ({ ok: true }));

    app.get('/faults', async () => Object.fromEntries(FACES.map((f) => [f, state.faults.config(f)])));

    app.put('/faults/:face', async (request, reply) => {
      const params = faceParam.safeParse(request.params);
      const body = faultConfigSchema
        .partial()
        .strict()
        .safeParse(request.body ?? {});
      if (!params.success) return reply.code(400).send({ face: [`must be one of ${FACES.join(', ')}`] });
      if (!body.success) {
        return reply.code(400).send(drfFieldErrors(body.error));
      }
      return state.faults.set(params.data.face as Face, onlyGiven(body.data, request.body));
    });

    app.get('/stats', async () => state.faults.allStats());

    app.post('/reset', async () => {
      state.reset();
      return { ok: true };
    });
  };
}
