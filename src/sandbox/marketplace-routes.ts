/** STUB — to be written: the marketplace face of the sandbox. */
import type { FastifyPluginAsync } from 'fastify';
import type { SandboxState } from './state';

export function marketplaceRoutes(_state: SandboxState): FastifyPluginAsync {
  return async () => {};
}
