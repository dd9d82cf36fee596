/** STUB — to be written: the whippy face of the sandbox. */
import type { FastifyPluginAsync } from 'fastify';
import type { SandboxState } from './state';

export function whippyRoutes(_state: SandboxState): FastifyPluginAsync {
  return async () => {};
}
