/**
 * The data every part of the sandbox's catalogue reads: Whippy Ware's stock records, the stock lists over its
 * locations, the Omnitron channels and the catalogue. The parts that act on it live beside it, one per resource:
 * product-stocks.ts (derived stocks, what is pending per channel), products.ts (products, prices, listings),
 * integration-actions.ts, batch-requests.ts, error-reports.ts, stock-writes.ts (Whippy Ware writes) and
 * delivery-checks.ts (what tests and benchmarks verify); catalog-state.ts seeds and composes them.
 */
import { StockStore } from './stock-store';

/** Omnitron's content types (`content_types/?model=`); ids are the sandbox's own. */
export const CONTENT_TYPES = [
  { id: 1, app_label: 'products', model: 'product' },
  { id: 2, app_label: 'stocks', model: 'productstock' },
  { id: 3, app_label: 'prices', model: 'productprice' },
  { id: 4, app_label: 'orders', model: 'order' },
  { id: 5, app_label: 'channels', model: 'batchrequest' },
  { id: 6, app_label: 'channels', model: 'channel' },
  { id: 7, app_label: 'channels', model: 'integrationaction' },
] as const;
export type ContentTypeModel = (typeof CONTENT_TYPES)[number]['model'];

export interface StockList {
  id: number;
  ordinal: number;
  name: string;
  /** Location ordinals. */
  locations: number[];
}

/** A sales channel as Omnitron's Channel serialiser shows it (keyed `id`, the only shape the spec shows). */
export interface Channel {
  id: number;
  name: string;
  channel_type: string;
  catalog: number;
  category_tree: string;
  is_active: boolean;
  /** Free-form settings; `adapter` is the sandbox's own note of which marketplace face serves the channel. */
  conf: { adapter: string; WAREHOUSE_CODES: Record<string, string>; remote_id_attribute: string | null };
  schema: Record<string, unknown>;
  created_date: string;
  modified_date: string;
}

export interface Catalog {
  pk: number;
  name: string;
  stock_list: number;
  extra_stock_lists: number[];
  price_list: number;
}

export const iso = (ms = Date.now()) => new Date(ms).toISOString();
/** The seeded records' dates (computed per request for a million records: kept as one string). */
export const EPOCH_ISO = iso(0);

export class Catalogue {
  whippy = new StockStore();
  stockLists: StockList[] = [];
  /** Location ordinal -> stock-list ordinals that aggregate it. */
  listsOfLocation: number[][] = [];
  readonly channels = new Map<number, Channel>();
  catalog: Catalog | undefined;
  /** Products up to this pk were seeded. */
  seededProducts = 0;

  reset(): void {
    this.whippy = new StockStore();
    this.stockLists = [];
    this.listsOfLocation = [];
    this.channels.clear();
    this.catalog = undefined;
    this.seededProducts = 0;
  }

  stockListById(id: number): StockList | undefined {
    return this.stockLists[id - 1];
  }

  /** Whether the SKU has a record in one of the list's locations (then a ProductStock exists for it). */
  inList(listOrdinal: number, skuIndex: number): boolean {
    let found = false;
    this.whippy.forEachOfSku(skuIndex, (r) => {
      if (this.listsOfLocation[this.whippy.location[r] ?? 0]?.includes(listOrdinal)) found = true;
    });
    return found;
  }

  /** Salable quantity, reserved quantity and last change of a ProductStock; undefined when it does not exist. */
  aggregate(listOrdinal: number, skuIndex: number) {
    const store = this.whippy;
    let exists = false;
    let stock = 0;
    let reserved = 0;
    let created = Infinity;
    let modified = 0;
    store.forEachOfSku(skuIndex, (r) => {
      if (!this.listsOfLocation[store.location[r] ?? 0]?.includes(listOrdinal)) return;
      exists = true;
      created = Math.min(created, store.created[r] ?? 0);
      modified = Math.max(modified, store.modified[r] ?? 0);
      if (store.active[r] !== 1) return;
      stock += store.salable(r);
      reserved += store.reserved[r] ?? 0;
    });
    return exists ? { stock, reserved, created, modified } : undefined;
  }
}
