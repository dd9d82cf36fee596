/**
 * What a page of committed stocks becomes at the channel: each stock's identity there, its quantity, its price. A stock
 * that cannot be sent comes back as a failure with the reason the reference implementation gives.
 *
 * Identity: by default the remote id Omnitron's integration actions hold — updates: the stock's own action in this
 * batch (committed `processing` under the batch's `local_batch_id`, as the reference reads it), else its product's;
 * inserts: the product's successful action (none: "Product has not been sent"). With the channel's
 * `conf.remote_id_attribute` (a product attribute path split on `__`, e.g. `attributes__barcode`) the product's value
 * at that path is the identity instead, both for sending and for matching the channel's results (README, "Contracts").
 */
import type { ChannelItem, ChannelLimits } from '../src/channels/port';
import type { OmnitronClient } from '../src/omnitron/client';
import type { BatchRequest, Product, ProductStock } from '../src/omnitron/schemas';
import type { ObjectFailure } from './error-reports';
import type { FlowTarget, StockKind } from './stock-types';

export type StockItem = ChannelItem & { pk: number };

export interface ChannelSettings {
  channelId: number;
  remoteIdAttribute: string | null;
  /** Held back from every quantity (published = max(0, stock − buffer)). */
  safetyBuffer: number;
  limits: ChannelLimits;
}

/** The value at `path` (split on `__`) of a product record, as a string; undefined when absent or not a scalar. */
export function attributeAt(product: Product, path: string): string | undefined {
  let value: unknown = product;
  for (const key of path.split('__')) {
    value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  }
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/**
 * The channel identity of each stock of `stocks` (by stock pk), and the stocks that have none. `products` are the
 * stocks' product records when the caller read them (needed with `remoteIdAttribute`).
 */
export async function resolveIdentities(
  omnitron: OmnitronClient,
  channel: ChannelSettings,
  /** null: a dry run's page, in no batch (its stocks have no actions of their own yet). */
  batch: Pick<BatchRequest, 'local_batch_id'> | null,
  stocks: readonly ProductStock[],
  kind: StockKind,
  products: ReadonlyMap<number, Product>,
): Promise<{ identities: Map<number, string>; failures: ObjectFailure[] }> {
  const { remoteIdAttribute } = channel;
  const byStock = new Map<number, string>();
  // An update identified by a product attribute needs no action at all; an insert still needs its product's.
  if (remoteIdAttribute && kind === 'updates') return identifyByAttribute(stocks, products, remoteIdAttribute);
  if (kind === 'updates' && batch) {
    for await (const action of omnitron.iterateIntegrationActions(channel.channelId, {
      local_batch_id: batch.local_batch_id,
      status: 'processing',
      // One page for the batch where Omnitron allows it (a server cap just means more pages).
      limit: Math.max(1, stocks.length),
    })) {
      if (action.model === 'productstock' && action.remote_id) byStock.set(action.object_id, action.remote_id);
    }
  }
  // Inserts need the product on the channel; updates fall back to the product's id when the stock's action has none.
  const askProducts = stocks.filter((s) => kind === 'inserts' || !byStock.has(s.pk)).map((s) => s.product);
  const byProduct = await productRemoteIds(omnitron, channel.channelId, askProducts);
  const unsent = stocks.filter((s) => kind === 'inserts' && !byProduct.has(s.product));
  const failures: ObjectFailure[] = unsent.map((s) => ({
    pk: s.pk,
    message: 'Product has not been sent',
    reason: 'channel_app',
  }));
  const sendable = stocks.filter((s) => !unsent.includes(s));
  if (remoteIdAttribute) {
    const byAttribute = identifyByAttribute(sendable, products, remoteIdAttribute);
    return { identities: byAttribute.identities, failures: [...failures, ...byAttribute.failures] };
  }
  const identities = new Map<number, string>();
  for (const stock of sendable) {
    const remoteId = byStock.get(stock.pk) ?? byProduct.get(stock.product);
    if (remoteId) identities.set(stock.pk, remoteId);
    else failures.push({ pk: stock.pk, message: 'Stock has no remote id on the channel', reason: 'channel_app' });
  }
  return { identities, failures };
}

/** Product pk -> its remote id on the channel: the product's successful integration action (none: never sent). */
export async function productRemoteIds(
  omnitron: OmnitronClient,
  channelId: number,
  productPks: readonly number[],
): Promise<Map<number, string>> {
  const byProduct = new Map<number, string>();
  if (productPks.length === 0) return byProduct;
  for await (const action of omnitron.iterateIntegrationActions(channelId, {
    content_type_name: 'product',
    status: 'success',
    object_id__in: [...new Set(productPks)],
  })) {
    if (action.model === 'product' && action.remote_id) byProduct.set(action.object_id, action.remote_id);
  }
  return byProduct;
}

function identifyByAttribute(
  stocks: readonly ProductStock[],
  products: ReadonlyMap<number, Product>,
  path: string,
): { identities: Map<number, string>; failures: ObjectFailure[] } {
  const identities = new Map<number, string>();
  const failures: ObjectFailure[] = [];
  for (const stock of stocks) {
    const product = products.get(stock.product);
    const identity = product && attributeAt(product, path);
    if (identity) identities.set(stock.pk, identity);
    else {
      const message = `product ${stock.product} has no "${path}" (the channel's remote_id_attribute)`;
      failures.push({ pk: stock.pk, message, reason: 'channel_app' });
    }
  }
  return { identities, failures };
}

/** The stocks' product records, when the channel's identity or the flow's options need them. */
export async function productsOf(
  omnitron: OmnitronClient,
  channelId: number,
  stocks: readonly ProductStock[],
): Promise<Map<number, Product>> {
  const records = await omnitron.listProducts(channelId, [...new Set(stocks.map((s) => s.product))]);
  return new Map(records.map((p) => [p.pk, p]));
}

/** Builds the channel items of a committed page; stocks that cannot be sent come back as failures. */
export async function channelItems(
  omnitron: OmnitronClient,
  channel: ChannelSettings,
  batch: Pick<BatchRequest, 'local_batch_id'> | null,
  page: { kind: StockKind; target: FlowTarget; stocks: readonly ProductStock[] },
  options: { addProductObjects: boolean; addPrice: boolean; priceList: number | null },
): Promise<{ items: StockItem[]; failures: ObjectFailure[] }> {
  const { stocks } = page;
  const products =
    options.addProductObjects || channel.remoteIdAttribute
      ? await productsOf(omnitron, channel.channelId, stocks)
      : new Map<number, Product>();
  const { identities, failures } = await resolveIdentities(omnitron, channel, batch, stocks, page.kind, products);
  const prices = new Map<number, number>();
  if (options.addPrice && options.priceList !== null) {
    const productPks = [...new Set(stocks.map((s) => s.product))];
    for (const price of await omnitron.listExtraProductPrices(channel.channelId, productPks, options.priceList)) {
      prices.set(price.product, price.price);
    }
  }
  const items: StockItem[] = [];
  for (const stock of stocks) {
    const remoteId = identities.get(stock.pk);
    if (remoteId === undefined) continue;
    const price = prices.get(stock.product);
    if (options.addPrice && price === undefined) {
      failures.push({ pk: stock.pk, message: 'PriceNotFound', reason: 'channel_app' });
      continue;
    }
    items.push({
      pk: stock.pk,
      sku: products.get(stock.product)?.sku ?? String(stock.product),
      remoteId,
      quantity: publishedQuantity(stock.stock, channel),
      warehouseCode: page.target.warehouseCode ?? undefined,
      price,
    });
  }
  return { items, failures };
}

/**
 * The quantity the channel is sent: the safety buffer held back, capped at the channel's maximum (Trendyol takes at
 * most 20,000 a product): more is never sent, the channel shows as many as it can hold.
 */
export function publishedQuantity(stock: number, channel: Pick<ChannelSettings, 'safetyBuffer' | 'limits'>): number {
  return Math.min(channel.limits.maxQuantity, Math.max(0, stock - channel.safetyBuffer));
}

/** Remote id -> the stock pks sent under it (several stocks of one product share it). */
export function indexByRemoteId(items: readonly { pk: number; remoteId: string }[]): Map<string, number[]> {
  const index = new Map<string, number[]>();
  for (const item of items) index.set(item.remoteId, [...(index.get(item.remoteId) ?? []), item.pk]);
  return index;
}
