/**
 * Channel adapters by name, from one zod-validated configuration. Each adapter's folder defines its configuration
 * schema and its documented default limits; limits may be overridden (limits change; they belong in configuration).
 * Invalid configuration is one ConfigError naming every bad key, built from zod's paths and messages only, so a
 * secret never reaches a log.
 */
import { z } from 'zod';
import { ConfigError } from '../config/errors';
import { AMAZON_DEFAULT_LIMITS, AmazonAdapter, amazonConfig } from './amazon/adapter';
import { EBAY_DEFAULT_LIMITS, EbayAdapter, ebayConfig } from './ebay/adapter';
import { HEPSIBURADA_DEFAULT_LIMITS, HepsiburadaAdapter, hepsiburadaConfig } from './hepsiburada/adapter';
import { N11_DEFAULT_LIMITS, N11Adapter, n11Config } from './n11/adapter';
import type { ChannelAdapter, ChannelLimits } from './port';
import { SHOPIFY_DEFAULT_LIMITS, ShopifyAdapter, shopifyConfig } from './shopify/adapter';
import { TRENDYOL_DEFAULT_LIMITS, TrendyolAdapter, trendyolConfig } from './trendyol/adapter';
import { issueEntries } from '../../workflows/issues';

export const channelConfigSchema = z.discriminatedUnion('adapter', [
  trendyolConfig,
  shopifyConfig,
  hepsiburadaConfig,
  n11Config,
  amazonConfig,
  ebayConfig,
]);
export type ChannelConfig = z.input<typeof channelConfigSchema>;

export function createChannelAdapter(config: unknown): ChannelAdapter {
  const parsed = channelConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new ConfigError(issueEntries(parsed.error, 'adapter').map(({ path, message }) => ({ key: path, message })));
  }
  const c = parsed.data;
  switch (c.adapter) {
    case 'trendyol':
      return new TrendyolAdapter({ ...c, limits: withOverrides(TRENDYOL_DEFAULT_LIMITS, c.limits) });
    case 'shopify':
      return new ShopifyAdapter({ ...c, limits: withOverrides(SHOPIFY_DEFAULT_LIMITS, c.limits) });
    case 'hepsiburada':
      return new HepsiburadaAdapter({ ...c, limits: withOverrides(HEPSIBURADA_DEFAULT_LIMITS, c.limits) });
    case 'n11':
      return new N11Adapter({ ...c, limits: withOverrides(N11_DEFAULT_LIMITS, c.limits) });
    case 'amazon':
      return new AmazonAdapter({ ...c, limits: withOverrides(AMAZON_DEFAULT_LIMITS, c.limits) });
    case 'ebay':
      return new EbayAdapter({ ...c, limits: withOverrides(EBAY_DEFAULT_LIMITS, c.limits) });
  }
}

function withOverrides(defaults: ChannelLimits, overrides: Partial<ChannelLimits> = {}): ChannelLimits {
  return { ...defaults, ...overrides };
}
