/**
 * The catalogue behind the sandbox's Whippy Ware and Omnitron faces: ONE model, so a stock changed through Whippy Ware
 * shows up in Omnitron's `updates/`. This module seeds it and composes its parts, one per resource (see catalogue.ts):
 * Omnitron's routes reach them as `catalog.batches`, `catalog.actions`, `catalog.reports`, ...
 */
import { randomUUID } from 'node:crypto';
import { BatchRequests } from './batch-requests';
import { type Channel, Catalogue, iso } from './catalogue';
import { DeliveryChecks } from './delivery-checks';
import { ErrorReports } from './error-reports';
import { badRequest, hashUnit } from './http-helpers';
import { IntegrationActions } from './integration-actions';
import type { Listing, MarketplaceState } from './marketplace-state';
import { ProductStocks } from './product-stocks';
import { Products, SHOPIFY_ITEM_PREFIX, type TrendyolRemoteIds } from './products';
import { StockWrites } from './stock-writes';

export const DEFAULT_CREDENTIALS = {
  username: 'stockflow',
  password: 'sandbox',
  whippyToken: 'sandbox-whippy-token',
} as const;
export type SandboxCredentials = { username: string; password: string; whippyToken: string };

export interface SeedOptions {
  skus: number;
  locations?: number;
  stockLists?: number;
  seed?: number;
  credentials?: Partial<SandboxCredentials>;
  /** What the Trendyol channel's product integration actions hold as remote ids (default: barcodes). */
  trendyolRemoteIds?: TrendyolRemoteIds;
  /** `conf.remote_id_attribute` of the Trendyol channel (default: none). */
  trendyolRemoteIdAttribute?: string | null;
}

export class CatalogState {
  credentials: SandboxCredentials = { ...DEFAULT_CREDENTIALS };
  readonly model = new Catalogue();
  readonly stocks = new ProductStocks(this.model);
  readonly products = new Products(this.model);
  readonly actions = new IntegrationActions(this.products);
  readonly batches = new BatchRequests(this.model, this.stocks, this.actions);
  readonly reports = new ErrorReports(this.model);
  readonly writes = new StockWrites(this.model, this.stocks);
  readonly checks: DeliveryChecks;
  readonly tokens = new Set<string>();
  /** Successful logins since the last reset (how often clients asked for a token). */
  logins = 0;

  constructor(private readonly marketplace: MarketplaceState) {
    this.checks = new DeliveryChecks(this.model, this.stocks, this.products, this.batches, marketplace);
  }

  get whippy() {
    return this.model.whippy;
  }

  reset(): void {
    this.credentials = { ...DEFAULT_CREDENTIALS };
    this.model.reset();
    for (const part of [this.stocks, this.products, this.actions, this.batches, this.reports, this.writes, this.checks])
      part.reset();
    this.tokens.clear();
    this.logins = 0;
  }

  login(username: string, password: string): string | undefined {
    if (username !== this.credentials.username || password !== this.credentials.password) return undefined;
    const token = randomUUID().replace(/-/g, '');
    this.tokens.add(token);
    this.logins++;
    return token;
  }

  /**
   * A deterministic catalogue: providers `shop_provider` (first half of the locations) and `dc_provider`; locations
   * "110", "111", ...; location i belongs to stock list (i mod lists) — list 1 is the main one, the rest are extra
   * lists; every SKU has a record in every location.
   */
  seed(options: SeedOptions) {
    const locationCount = options.locations ?? 4;
    const listCount = options.stockLists ?? 3;
    if (listCount < 3 || locationCount < listCount) {
      throw badRequest({ locations: ['Need stockLists >= 3 (main + 2 extra) and locations >= stockLists.'] });
    }
    const seed = options.seed ?? 1;
    this.reset();
    this.credentials = { ...DEFAULT_CREDENTIALS, ...options.credentials };
    this.products.trendyolRemoteIds = options.trendyolRemoteIds ?? 'barcode';
    const model = this.model;
    const store = model.whippy;
    store.addProvider({ code: 'shop_provider', name: 'Shop Provider' });
    store.addProvider({ code: 'dc_provider', name: 'Distribution Center Provider' });
    for (let i = 0; i < locationCount; i++) {
      const shop = i < Math.ceil(locationCount / 2);
      const code = String(110 + i);
      store.addLocation(code, shop ? `Store ${code}` : `Warehouse ${code}`, shop ? 'shop_provider' : 'dc_provider');
    }
    model.stockLists = Array.from({ length: listCount }, (_, ordinal) => ({
      id: ordinal + 1,
      ordinal,
      name: ordinal === 0 ? 'Main stock list' : `Extra stock list ${ordinal}`,
      locations: store.locations.filter((l) => l.ordinal % listCount === ordinal).map((l) => l.ordinal),
    }));
    model.listsOfLocation = store.locations.map((l) => [l.ordinal % listCount]);

    const at = Date.now();
    store.reserve(options.skus, options.skus * locationCount);
    for (let i = 0; i < options.skus; i++) {
      const index = store.internSku(`SF${String(i + 1).padStart(7, '0')}`);
      for (let l = 0; l < locationCount; l++) {
        const n = i * locationCount + l;
        const reserved = hashUnit(seed + 1, n) < 0.1 ? 1 + Math.floor(hashUnit(seed + 2, n) * 3) : 0;
        store.addRecord(index, l, Math.floor(hashUnit(seed, n) * 41), reserved, at);
      }
    }
    model.seededProducts = options.skus;

    const extraIds = model.stockLists.slice(1).map((l) => l.id);
    model.catalog = { pk: 1, name: 'Sandbox catalog', stock_list: 1, extra_stock_lists: extraIds, price_list: 1 };
    this.addChannel(1, 'trendyol', {
      adapter: 'trendyol',
      WAREHOUSE_CODES: Object.fromEntries(extraIds.map((id) => [String(id), `TY-WH-${id}`])),
      remote_id_attribute: options.trendyolRemoteIdAttribute ?? null,
    });
    this.addChannel(2, 'shopify', {
      adapter: 'shopify',
      WAREHOUSE_CODES: Object.fromEntries(
        model.stockLists.map((l) => [String(l.id), `gid://shopify/Location/${l.id}`]),
      ),
      remote_id_attribute: null,
    });
    // Channels 3-6, one per face: with warehouses every list maps to one (as Shopify), else the extra lists do.
    this.marketplace.faces.forEach((face, i) => {
      const mapped = face.hasWarehouses ? model.stockLists : model.stockLists.slice(1);
      this.addChannel(3 + i, face.adapter, {
        adapter: face.adapter,
        WAREHOUSE_CODES: Object.fromEntries(mapped.map((l) => [String(l.id), face.warehouseCode(l.id)])),
        remote_id_attribute: null,
      });
    });

    const listings: Listing[] = [];
    for (let pk = 1; pk <= options.skus; pk++) {
      if (!this.products.wasSent(pk)) continue;
      const sku = store.skus[pk - 1] ?? '';
      listings.push({ sku, barcode: this.products.barcode(pk) ?? sku, inventoryItemId: `${SHOPIFY_ITEM_PREFIX}${pk}` });
    }
    this.marketplace.addListings(listings);
    return this.describe();
  }

  /** Ids and credentials a test or benchmark needs after seeding. */
  describe() {
    const { model } = this;
    return {
      channels: [...model.channels.values()].map((c) => ({ pk: c.id, name: c.name, conf: c.conf })),
      catalog: model.catalog?.pk ?? null,
      stockLists: model.stockLists.map((l) => ({
        id: l.id,
        name: l.name,
        main: l.ordinal === 0,
        locations: l.locations.map((o) => model.whippy.locations[o]?.code),
      })),
      priceList: model.catalog?.price_list ?? null,
      locations: model.whippy.locations.map(({ code, name, provider }) => ({ code, name, provider })),
      skus: model.whippy.skus.length,
      credentials: {
        omnitron: { username: this.credentials.username, password: this.credentials.password },
        whippyToken: this.credentials.whippyToken,
      },
    };
  }

  private addChannel(id: number, name: string, conf: Channel['conf']): void {
    const now = iso();
    this.model.channels.set(id, {
      id,
      name,
      channel_type: name,
      catalog: 1,
      category_tree: 'sandbox',
      is_active: true,
      conf,
      schema: {},
      created_date: now,
      modified_date: now,
    });
    this.stocks.addChannel(id);
  }
}
