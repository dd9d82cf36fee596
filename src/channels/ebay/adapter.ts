/**
 * eBay (Sell Inventory API): synchronous. An inventory item's ship-to-home availability is one container, its total
 * `quantity` and its per-location `availabilityDistributions` (a stock list maps to a merchantLocationKey), and eBay
 * warns that what a write leaves out "will be lost". So a send reads the items first (bulkGetInventoryItem), then
 * writes each SKU's whole availability with this location's quantity replaced and the total the sum of the
 * locations (bulkUpdatePriceQuantity); per-SKU verdicts come back at once, matched by SKU. remoteId is the seller SKU.
 * Items whose held quantities already are the ones to write are not written: each listing takes 250 revisions a day.
 */
import { z } from 'zod';
import { BaseChannelAdapter, failedResult } from '../base';
import { type AdapterOptions, commonChannelFields } from '../config';
import type {
  BatchCheck,
  ChannelExchange,
  ChannelItem,
  ChannelLimits,
  HeldQuantity,
  ItemResult,
  SendOutcome,
} from '../port';
import { type Availability, EbayInventoryApi, type HeldItem } from './inventory-api';

export const EBAY_DEFAULT_LIMITS: ChannelLimits = {
  // The request schema and the bulk-updates guide: "up to 25" inventory items a call (the method text says one SKU
  // a call; 1 here configures that reading).
  itemsPerRequest: 25,
  // A send is two calls (read, write): 5 a second is at most 864k calls a day, under half the Inventory API's default
  // 2,000,000 a day, leaving room for the seller's other tools.
  requestsPerSecond: 5,
  // Nothing documented beyond the fields' int32.
  maxQuantity: 2_147_483_647,
  // bulkGetInventoryItem: "up to 25 inventory item records".
  readItemsPerRequest: 25,
};

/** bulkUpdatePriceQuantity requires it; bulkGetInventoryItem accepts it too. */
export const EBAY_SELL_INVENTORY_SCOPE = 'https://api.ebay.com/oauth/api_scope/sell.inventory';

/** SKUs and merchantLocationKeys are at most 50 characters. */
const MAX_KEY_LENGTH = 50;

export const ebayConfig = z
  .object({
    adapter: z.literal('ebay'),
    /** The application's OAuth credentials (App ID and Cert ID) and the seller's refresh token (18 months). */
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    refreshToken: z.string().min(1),
    /** What the access token is minted for: the consented scopes or a subset. */
    scopes: z.array(z.string().min(1)).min(1).default([EBAY_SELL_INVENTORY_SCOPE]),
    /** The wait after a 429 without Retry-After (eBay documents none; its quotas are daily windows). */
    throttleRetryMs: z.number().int().positive().default(60_000),
    /** baseURL: https://api.ebay.com/ (production) or https://api.sandbox.ebay.com/; the token endpoint is there too. */
    ...commonChannelFields,
  })
  .strict();

export class EbayAdapter extends BaseChannelAdapter {
  private readonly api: EbayInventoryApi;

  constructor(options: AdapterOptions<typeof ebayConfig>) {
    super({ name: 'ebay', mode: 'sync', hasWarehouses: true, limits: options.limits });
    this.api = new EbayInventoryApi(options);
  }

  checkBatch(): Promise<BatchCheck> {
    return Promise.reject(new Error('ebay is synchronous: its sends answer per item at once, there is no batch'));
  }

  protected override refusal(item: ChannelItem): string | undefined {
    if (item.remoteId.length > MAX_KEY_LENGTH) return `SKU ${item.remoteId} is longer than eBay's 50 characters`;
    if ((item.warehouseCode?.length ?? 0) > MAX_KEY_LENGTH) {
      return `warehouse code ${item.warehouseCode} is longer than a merchantLocationKey's 50 characters`;
    }
    return super.refusal(item);
  }

  protected async send(items: readonly ChannelItem[], refused: ItemResult[]): Promise<SendOutcome> {
    const exchanges: ChannelExchange[] = [];
    const bySku = new Map<string, ChannelItem[]>();
    for (const item of items) bySku.set(item.remoteId, [...(bySku.get(item.remoteId) ?? []), item]);
    const read = await this.api.getItems([...bySku.keys()]);
    exchanges.push(read.exchange);

    const verdicts = new Map<string, string>(); // SKU -> "" (applied) or why not
    const writes: { sku: string; availability: Availability }[] = [];
    for (const [sku, skuItems] of bySku) {
      const held = read.held.get(sku);
      if (!held) verdicts.set(sku, 'eBay answered nothing for this SKU');
      else if ('failure' in held) verdicts.set(sku, `not written, the read failed: ${held.failure}`);
      else {
        const next = withItems(held.availability, skuItems);
        if (sameAvailability(held.availability, next)) verdicts.set(sku, '');
        else writes.push({ sku, availability: next });
      }
    }
    if (writes.length > 0) {
      const written = await this.api.setAvailability(writes);
      exchanges.push(written.exchange);
      for (const { sku } of writes)
        verdicts.set(sku, written.verdicts.get(sku) ?? 'eBay answered nothing for this SKU');
    }

    const results = items.map((item): ItemResult => {
      const reason = verdicts.get(item.remoteId);
      if (reason) return failedResult(item, reason);
      return {
        remoteId: item.remoteId,
        sku: item.sku,
        ...(item.warehouseCode === undefined ? {} : { warehouseCode: item.warehouseCode }),
        status: 'success',
      };
    });
    return { mode: 'sync', results: [...refused, ...results], exchanges };
  }

  /**
   * What eBay holds per SKU: at a warehouse its location's quantity (null when the item has none there), without one
   * the item's total; an unknown SKU reads null.
   */
  async readQuantities(items: readonly Pick<ChannelItem, 'remoteId' | 'warehouseCode'>[]): Promise<HeldQuantity[]> {
    this.refuseOverLimit(items.length, 'read');
    // A SKU eBay could never hold is not asked for (an invalid one would fail the whole read).
    const skus = [...new Set(items.map((i) => i.remoteId))].filter((s) => s !== '' && s.length <= MAX_KEY_LENGTH);
    const held = skus.length === 0 ? new Map<string, HeldItem>() : (await this.api.getItems(skus)).held;
    return items.map((item) => ({ remoteId: item.remoteId, quantity: heldAt(held.get(item.remoteId), item) }));
  }
}

function heldAt(held: HeldItem | undefined, item: Pick<ChannelItem, 'warehouseCode'>): number | null {
  if (!held || 'failure' in held) return null;
  const { quantity, distributions } = held.availability;
  if (item.warehouseCode === undefined) return quantity;
  return distributions.find((d) => d.merchantLocationKey === item.warehouseCode)?.quantity ?? null;
}

/**
 * The availability to write: each item's location set to its quantity (a new location appended), the total the sum of
 * the locations; an item without a warehouse code sets the total itself and leaves the locations as they are.
 */
function withItems(current: Availability, items: readonly ChannelItem[]): Availability {
  const distributions = current.distributions.map((d) => ({ ...d }));
  let total: number | undefined;
  for (const item of items) {
    if (item.warehouseCode === undefined) {
      total = item.quantity;
      continue;
    }
    const at = distributions.find((d) => d.merchantLocationKey === item.warehouseCode);
    if (at) at.quantity = item.quantity;
    else distributions.push({ merchantLocationKey: item.warehouseCode, quantity: item.quantity });
  }
  const located = items.some((i) => i.warehouseCode !== undefined);
  return {
    quantity: total ?? (located ? distributions.reduce((sum, d) => sum + d.quantity, 0) : current.quantity),
    distributions,
  };
}

function sameAvailability(a: Availability, b: Availability): boolean {
  return (
    a.quantity === b.quantity &&
    a.distributions.length === b.distributions.length &&
    a.distributions.every(
      (d, i) =>
        d.merchantLocationKey === b.distributions[i]?.merchantLocationKey &&
        d.quantity === b.distributions[i]?.quantity,
    )
  );
}
