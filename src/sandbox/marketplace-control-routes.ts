/** STUB — to be written: control endpoints of the marketplace state. */
import type { FastifyPluginAsync } from 'fastify';
import type { SandboxState } from './state';

export function marketplaceControlRoutes(_state: SandboxState): FastifyPluginAsync {
  return async () => {};
}
