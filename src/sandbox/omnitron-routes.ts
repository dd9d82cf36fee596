/** STUB — to be written: the omnitron face of the sandbox. */
import type { FastifyPluginAsync } from 'fastify';
import type { SandboxState } from './state';

export function omnitronRoutes(_state: SandboxState): FastifyPluginAsync {
  return async () => {};
}
