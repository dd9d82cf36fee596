/**
 * Products, their prices and how each channel knows them. Every SKU is a product (pk = SKU index + 1); every 50th
 * seeded product was never sent to any channel ("Product has not been sent"), every 37th has no price
 * ("PriceNotFound"). A product's id on a channel (its product integration action's `remote_id`) is computed, not
 * stored: a million products × channels.
 */
import type { Catalogue } from './catalogue';

const UNSENT_PRODUCT_EVERY = 50;
const PRICELESS_PRODUCT_EVERY = 37;
export const SHOPIFY_ITEM_PREFIX = 'gid://shopify/InventoryItem/';
/** Trendyol's own content id of a listing, when a seed says the channel's actions hold those instead of barcodes. */
const TRENDYOL_CONTENT_PREFIX = 'TY-CONTENT-';

/**
 * What the Trendyol channel's product integration actions hold as `remote_id`: the barcode (the default), or
 * Trendyol's content id — then only `conf.remote_id_attribute` (e.g. `attributes__barcode`) tells the barcode.
 */
export type TrendyolRemoteIds = 'barcode' | 'content-id';

export interface Product {
  pk: number;
  sku: string;
  name: string;
  base_code: string;
  attributes: { barcode: string; color: string };
}

export interface ProductPrice {
  id: number;
  product: number;
  price_list: number;
  price: number;
  retail_price: number | null;
}

export class Products {
  trendyolRemoteIds: TrendyolRemoteIds = 'barcode';

  constructor(private readonly model: Catalogue) {}

  reset(): void {
    this.trendyolRemoteIds = 'barcode';
  }

  product(pk: number): Product | undefined {
    const sku = this.model.whippy.skus[pk - 1];
    if (sku === undefined) return undefined;
    return {
      pk,
      sku,
      name: `Product ${sku}`,
      base_code: sku,
      attributes: { barcode: this.barcode(pk) ?? sku, color: ['red', 'blue', 'black'][pk % 3] ?? '' },
    };
  }

  /** The barcode Trendyol lists a product under (the SKU, in this sandbox). */
  barcode(pk: number): string | undefined {
    return this.model.whippy.skus[pk - 1];
  }

  price(pk: number, priceList: number): ProductPrice | undefined {
    const { catalog } = this.model;
    if (priceList !== catalog?.price_list || pk % PRICELESS_PRODUCT_EVERY === 0 || !this.product(pk)) return undefined;
    const price = Number((10 + (pk % 90) + 0.99).toFixed(2));
    return { id: pk, product: pk, price_list: priceList, price, retail_price: price };
  }

  wasSent(pk: number): boolean {
    return pk <= this.model.seededProducts && pk % UNSENT_PRODUCT_EVERY !== 0;
  }

  /**
   * The remote id of a seeded product on a channel: Trendyol's barcode (or content id), a Shopify InventoryItem gid,
   * the merchant's SKU on every other marketplace (Hepsiburada merchantSku, N11 stockCode, Amazon and eBay SKU).
   */
  remoteId(channel: number, pk: number): string | undefined {
    const conf = this.model.channels.get(channel)?.conf;
    if (!this.wasSent(pk) || !conf) return undefined;
    if (conf.adapter === 'shopify') return `${SHOPIFY_ITEM_PREFIX}${pk}`;
    if (conf.adapter === 'trendyol' && this.trendyolRemoteIds === 'content-id')
      return `${TRENDYOL_CONTENT_PREFIX}${pk}`;
    return this.barcode(pk);
  }

  /** What the channel's marketplace keys its holdings by: Trendyol the barcode, every other its remote id. */
  heldAs(channel: number, pk: number): string | undefined {
    const remoteId = this.remoteId(channel, pk);
    if (remoteId === undefined) return undefined;
    return this.model.channels.get(channel)?.conf.adapter === 'trendyol' ? (this.barcode(pk) ?? remoteId) : remoteId;
  }

  /** The product a remote id names on a channel (the inverse of {@link remoteId}), or undefined. */
  productOfRemoteId(channel: number, remoteId: string): number | undefined {
    const conf = this.model.channels.get(channel)?.conf;
    if (!conf) return undefined;
    const prefix =
      conf.adapter === 'shopify'
        ? SHOPIFY_ITEM_PREFIX
        : conf.adapter === 'trendyol' && this.trendyolRemoteIds === 'content-id'
          ? TRENDYOL_CONTENT_PREFIX
          : undefined;
    const pk =
      prefix === undefined
        ? (this.model.whippy.skuIndex.get(remoteId) ?? -1) + 1
        : remoteId.startsWith(prefix)
          ? Number(remoteId.slice(prefix.length))
          : 0;
    return Number.isInteger(pk) && pk > 0 && this.remoteId(channel, pk) === remoteId ? pk : undefined;
  }
}
