/** STUB — to be written: control endpoints of the catalog state. */
import type { FastifyPluginAsync } from 'fastify';
import type { SandboxState } from './state';

export function catalogControlRoutes(_state: SandboxState): FastifyPluginAsync {
  return async () => {};
}
