/**
 * How stockflow talks to a running sandbox: an Omnitron client with the seeded credentials and the channel adapters of
 * the two seeded channels (1 = Trendyol, asynchronous; 2 = Shopify, synchronous). Used by tests, benchmarks and the
 * embedded stack of `npm start`; a real deployment configures its own (OMNITRON_URL, STOCKFLOW_CHANNELS_FILE).
 */
import type { StockActivityDeps } from '../../activities/stock';
import type { ChannelAdapter } from '../channels/port';
import { createChannelAdapter, type ChannelConfig } from '../channels/registry';
import { OmnitronClient } from '../omnitron/client';
import { WhippyStockClient } from '../stock-api/client';
import { DEFAULT_CREDENTIALS } from './catalog-state';
import { SANDBOX_MARKETPLACE_CREDENTIALS } from './marketplace-state';
import type { Sandbox } from './server';

/** The channels every seeded sandbox has. */
export const SANDBOX_CHANNEL_IDS = [1, 2];

/** The seeded channels' adapter configurations; `limits` overrides apply to both (tests use small pages). */
export function sandboxChannelConfigs(
  urls: Sandbox['urls'],
  limits?: ChannelConfig['limits'],
  repeatWindowMs?: number,
): Record<number, ChannelConfig> {
  const { trendyol, shopify } = SANDBOX_MARKETPLACE_CREDENTIALS;
  return {
    1: {
      adapter: 'trendyol',
      repeatWindowMs,
      baseURL: urls.trendyol,
      integratorName: 'stockflow',
      timeoutMs: 10_000,
      limits,
      ...trendyol,
    },
    2: {
      adapter: 'shopify',
      baseURL: urls.shopify,
      apiVersion: '2026-10',
      accessToken: shopify.accessToken,
      timeoutMs: 10_000,
      limits,
    },
  };
}

export function sandboxStockDeps(
  urls: Sandbox['urls'],
  options: {
    limits?: ChannelConfig['limits'];
    timeoutMs?: number;
    /** The sandbox marketplace's repeat window, when a test shortens it. */
    repeatWindowMs?: number;
    /** Held back from every quantity sent, on every channel. */
    safetyBuffer?: number;
  } = {},
): StockActivityDeps {
  const adapters = new Map<number, ChannelAdapter>(
    Object.entries(sandboxChannelConfigs(urls, options.limits, options.repeatWindowMs)).map(([id, config]) => [
      Number(id),
      createChannelAdapter({ ...config, timeoutMs: options.timeoutMs ?? config.timeoutMs }),
    ]),
  );
  return {
    channelIds: SANDBOX_CHANNEL_IDS,
    omnitron: new OmnitronClient({
      baseURL: urls.omnitron,
      username: DEFAULT_CREDENTIALS.username,
      password: DEFAULT_CREDENTIALS.password,
      timeoutMs: options.timeoutMs ?? 10_000,
    }),
    whippy: new WhippyStockClient({
      baseURL: urls.whippy,
      apiToken: DEFAULT_CREDENTIALS.whippyToken,
      timeoutMs: options.timeoutMs ?? 10_000,
    }),
    channelAdapter(channelId) {
      const adapter = adapters.get(channelId);
      if (!adapter) throw new Error(`channel ${channelId}: no channel adapter configured`);
      return adapter;
    },
    safetyBuffer: () => options.safetyBuffer ?? 0,
  };
}
