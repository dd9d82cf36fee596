/**
 * The local sandbox: ONE loopback HTTP server with three faces over one state, plus control endpoints.
 *
 *   /whippy/api/v1/...     Whippy Ware stock API
 *   /omnitron/api/v1/...   Omnitron (token auth)
 *   /trendyol/...          Trendyol-shaped asynchronous marketplace
 *   /shopify/...           Shopify-shaped synchronous marketplace (GraphQL inventorySetQuantities)
 *   /hepsiburada/, /n11/, /amazon/, /ebay/   the faces of src/sandbox/faces (one folder each)
 *   /control/...           seed, bulk stock changes, channel holdings, faults, rate limits, stats, reset
 *
 * `stockflow sandbox` runs it standalone; tests start it in-process on port 0.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { catalogControlRoutes } from './catalog-control-routes';
import { controlRoutes } from './control-routes';
import type { Face } from './faults';
import { marketplaceControlRoutes } from './marketplace-control-routes';
import { marketplaceRoutes } from './marketplace-routes';
import { omnitronRoutes } from './omnitron-routes';
import { SandboxState, type SandboxStateOptions } from './state';
import { whippyRoutes } from './whippy-routes';

export interface SandboxOptions extends SandboxStateOptions {
  /** Loopback only by default; the sandbox is never meant to face a network. */
  host?: string;
  /** 0 = any free port. */
  port?: number;
}

export interface Sandbox {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Base URLs the clients take. */
  urls: {
    omnitron: string;
    whippy: string;
    trendyol: string;
    shopify: string;
    hepsiburada: string;
    n11: string;
    amazon: string;
    ebay: string;
    control: string;
  };
  state: SandboxState;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Where each face of a sandbox served at `url` lives (also how processes that only know its address reach it). */
export function sandboxUrls(url: string): Sandbox['urls'] {
  return {
    omnitron: `${url}/omnitron/api/v1/`,
    whippy: `${url}/whippy/api/v1/`,
    trendyol: `${url}/trendyol/`,
    shopify: `${url}/shopify/`,
    hepsiburada: `${url}/hepsiburada/`,
    n11: `${url}/n11/`,
    amazon: `${url}/amazon/`,
    ebay: `${url}/ebay/`,
    control: `${url}/control/`,
  };
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const state = new SandboxState(options);
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024 * 1024, keepAliveTimeout: 65_000 });

  const face = (name: Face, prefix: string, plugin: ReturnType<typeof whippyRoutes>) =>
    app.register(
      async (scope) => {
        scope.addHook('onRequest', state.faults.hook(name));
        await scope.register(plugin);
      },
      { prefix },
    );
  await face('whippy', '/whippy', whippyRoutes(state));
  await face('omnitron', '/omnitron', omnitronRoutes(state));
  await face('marketplace', '/', marketplaceRoutes(state));
  const tunables = () => state.marketplace.options;
  for (const marketplace of state.marketplace.faces) {
    await app.register(
      async (scope) => {
        scope.addHook('onRequest', state.faults.hook('marketplace'));
        scope.addHook('onRequest', async () => {
          state.marketplace.countRequest();
          marketplace.countRequest();
        });
        await scope.register(marketplace.routes(tunables));
      },
      { prefix: `/${marketplace.adapter}` },
    );
  }
  await app.register(controlRoutes(state), { prefix: '/control' });
  await app.register(catalogControlRoutes(state), { prefix: '/control' });
  await app.register(marketplaceControlRoutes(state), { prefix: '/control/marketplace' });

  await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  if (!address || typeof address !== 'object') throw new Error('sandbox did not bind a TCP port');
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  return {
    url,
    urls: sandboxUrls(url),
    state,
    app,
    close: () => app.close(),
  };
}
