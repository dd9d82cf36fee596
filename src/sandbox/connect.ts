/**
 * How stockflow talks to a running sandbox: an Omnitron client with the seeded credentials and the channel adapters of
 * the seeded channels (1 = Trendyol, asynchronous; 2 = Shopify, synchronous; 3 = Hepsiburada, 4 = N11, 5 = Amazon,
 * asynchronous; 6 = eBay, synchronous). Used by tests, benchmarks and the embedded stack of `npm start`; a real
 * deployment configures its own (OMNITRON_URL, STOCKFLOW_CHANNELS_FILE).
 */
import type { StockActivityDeps } from '../../activities/stock';
import type { ChannelAdapter } from '../channels/port';
import { createChannelAdapter, type ChannelConfig } from '../channels/registry';
import { OmnitronClient } from '../omnitron/client';
import { WhippyStockClient } from '../stock-api/client';
import { DEFAULT_CREDENTIALS } from './catalog-state';
import { SANDBOX_MARKETPLACE_CREDENTIALS } from './marketplace-state';
import { AMAZON_SANDBOX_CREDENTIALS } from './faces/amazon/face';
import { EBAY_SANDBOX_CREDENTIALS } from './faces/ebay/face';
import { HEPSIBURADA_SANDBOX_CREDENTIALS } from './faces/hepsiburada/face';
import { N11_SANDBOX_CREDENTIALS } from './faces/n11/face';
import type { Sandbox } from './server';

/** The channels every seeded sandbox has. */
export const SANDBOX_CHANNEL_IDS = [1, 2, 3, 4, 5, 6];

/** The seeded channels' adapter configurations; `limits` overrides apply to all (tests use small pages). */
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
    3: {
      adapter: 'hepsiburada',
      baseURL: urls.hepsiburada,
      ...HEPSIBURADA_SANDBOX_CREDENTIALS,
      timeoutMs: 10_000,
      limits,
    },
    4: {
      adapter: 'n11',
      baseURL: urls.n11,
      timeoutMs: 10_000,
      limits,
      ...N11_SANDBOX_CREDENTIALS,
    },
    5: {
      adapter: 'amazon',
      baseURL: urls.amazon,
      tokenURL: `${urls.amazon}auth/o2/token`,
      ...AMAZON_SANDBOX_CREDENTIALS,
      timeoutMs: 10_000,
      limits,
    },
    6: {
      adapter: 'ebay',
      baseURL: urls.ebay,
      ...EBAY_SANDBOX_CREDENTIALS,
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
    /** The channels to sync (a worker per channel); every seeded one by default. */
    channelIds?: readonly number[];
  } = {},
): StockActivityDeps {
  const configs = sandboxChannelConfigs(urls, options.limits, options.repeatWindowMs);
  const channelIds = [...(options.channelIds ?? SANDBOX_CHANNEL_IDS)];
  const adapters = new Map<number, ChannelAdapter>(
    channelIds.map((id) => {
      const config = configs[id];
      if (!config) throw new Error(`channel ${id} is not a seeded sandbox channel`);
      return [id, createChannelAdapter({ ...config, timeoutMs: options.timeoutMs ?? config.timeoutMs })];
    }),
  );
  return {
    channelIds,
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
