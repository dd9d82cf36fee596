/**
 * Channel adapters by name, from one zod-validated configuration. Limits default to each marketplace's documented
 * values and may be overridden (limits change; they belong in configuration). Invalid configuration is one
 * ConfigError naming every bad key, built from zod's paths and messages only, so a secret never reaches a log.
 */
import { z } from 'zod';
import { ConfigError } from '../config/errors';
import type { ChannelAdapter, ChannelLimits } from './port';
import { SHOPIFY_DEFAULT_API_VERSION, SHOPIFY_DEFAULT_LIMITS, ShopifyAdapter } from './shopify/adapter';
import { TRENDYOL_DEFAULT_LIMITS, TrendyolAdapter } from './trendyol/adapter';
import { issueEntries } from '../../workflows/issues';

const limitsOverride = z
  .object({
    itemsPerRequest: z.number().int().positive(),
    requestsPerSecond: z.number().positive(),
    maxQuantity: z.number().int().positive(),
    readItemsPerRequest: z.number().int().positive(),
  })
  .partial()
  .strict();

/** Credentials travel in headers only; a URL with user:password@ would leak them into exchanges and errors. */
const baseURL = z
  .url({ protocol: /^https?$/ })
  .refine((u) => !new URL(u).username && !new URL(u).password, 'must not carry credentials');

const common = {
  baseURL,
  /** Per-request timeout; a timeout is a retryable NetworkError. */
  timeoutMs: z.number().int().positive().optional(),
  limits: limitsOverride.optional(),
};

const trendyolConfig = z
  .object({
    adapter: z.literal('trendyol'),
    sellerId: z.string().regex(/^\d+$/, 'expected the numeric Trendyol seller id'),
    apiKey: z.string().min(1),
    apiSecret: z.string().min(1),
    /** Trendyol: alphanumeric, at most 30 characters ("SelfIntegration" when the seller runs its own software). */
    integratorName: z.string().regex(/^[A-Za-z0-9]{1,30}$/, 'expected 1-30 letters or digits'),
    /** How long Trendyol refuses a repeated body (15 min); a refused send is retried once it has passed. */
    repeatWindowMs: z.number().int().positive().optional(),
    ...common,
  })
  .strict();

const shopifyConfig = z
  .object({
    adapter: z.literal('shopify'),
    accessToken: z.string().min(1),
    /** Any quarterly release; the newest stable one by default. The adapter speaks each one's inventory rules. */
    apiVersion: z
      .string()
      .regex(/^\d{4}-(01|04|07|10)$/, 'expected a release like 2026-10')
      .default(SHOPIFY_DEFAULT_API_VERSION),
    defaultLocationId: z
      .string()
      .regex(/^gid:\/\/shopify\/Location\/\d+$/, 'expected gid://shopify/Location/<id>')
      .optional(),
    ...common,
  })
  .strict();

export const channelConfigSchema = z.discriminatedUnion('adapter', [trendyolConfig, shopifyConfig]);
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
  }
}

function withOverrides(defaults: ChannelLimits, overrides: Partial<ChannelLimits> = {}): ChannelLimits {
  return { ...defaults, ...overrides };
}
