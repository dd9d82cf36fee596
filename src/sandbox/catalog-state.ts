/**
 * The catalogue behind the sandbox's Whippy Ware and Omnitron faces: ONE model, so a stock changed through Whippy Ware
 * shows up in Omnitron's `updates/`.
 *
 * - Whippy Ware: stock records per (sku, provider, location) in {@link StockStore}; locations belong to providers; stock
 *   lists aggregate locations.
 * - Omnitron: every SKU is a product (pk = SKU index + 1). A ProductStock exists per (product, stock list) when the SKU
 *   has a record in one of the list's locations; its `stock` is DERIVED, never stored: the sum over the list's locations
 *   of max(0, stock − reserved_stock) of the ACTIVE records (OMS "available = total − reserved"; a location's
 *   over-reservation cannot eat another location's stock).
 * - Per (channel, stock list): the quantity last sent successfully (-1 = never) and two pending sets kept up to date on
 *   every change — `inserts` (never sent) and `updates` (sent, quantity changed since) — minus the objects hidden by a
 *   committed batch. A page is then O(page), never a scan of the catalogue.
 */
import { randomUUID } from 'node:crypto';
import type { Listing, MarketplaceState } from './marketplace-state';
import { badRequest, hashUnit, notFound } from './http-helpers';
import type { StockInput } from '../stock-api/schemas';
import { StockStore, STOCK_TYPES, UNIT_TYPES } from './stock-store';

/** The sandbox accepts what the Whippy client sends: one contract, one type. */
export type WhippyStockInput = StockInput;

export const DEFAULT_CREDENTIALS = {
  username: 'stockflow',
  password: 'sandbox',
  whippyToken: 'sandbox-whippy-token',
} as const;
export type SandboxCredentials = { username: string; password: string; whippyToken: string };

/** ProductStock pk = stock-list ordinal × stride + product pk: unique, and decodable without a table. */
const PRODUCT_STOCK_PK_STRIDE = 100_000_000;
/** Seeded PRODUCT integration actions are computed, not stored (a million products × channels); their pks live here. */
const VIRTUAL_ACTION_PK_BASE = 1_000_000_000;
const CHANNEL_ACTION_PK_STRIDE = 100_000_000;
/** Every 50th seeded product was never sent to any channel ("Product has not been sent"). */
const UNSENT_PRODUCT_EVERY = 50;
/** Every 37th product has no price in the price list ("PriceNotFound"). */
const PRICELESS_PRODUCT_EVERY = 37;
const SHOPIFY_ITEM_PREFIX = 'gid://shopify/InventoryItem/';

export const CONTENT_TYPES = [
  { id: 1, app_label: 'products', model: 'product' },
  { id: 2, app_label: 'stocks', model: 'productstock' },
  { id: 3, app_label: 'prices', model: 'productprice' },
  { id: 4, app_label: 'orders', model: 'order' },
  { id: 5, app_label: 'channels', model: 'batchrequest' },
] as const;

export interface StockList {
  id: number;
  ordinal: number;
  name: string;
  /** Location ordinals. */
  locations: number[];
}

export interface Channel {
  pk: number;
  name: string;
  channel_type: string;
  is_active: boolean;
  catalog: number;
  conf: { adapter: string; WAREHOUSE_CODES: Record<string, string>; remote_id_attribute: string | null };
}

export interface Catalog {
  pk: number;
  name: string;
  stock_list: number;
  extra_stock_lists: number[];
  price_list: number;
}

export type IntegrationStatus = 'processing' | 'success' | 'error';
export type ContentTypeModel = (typeof CONTENT_TYPES)[number]['model'];

export interface IntegrationAction {
  pk: number;
  channel: number;
  model: ContentTypeModel;
  object_id: number;
  remote_id: string | null;
  version_date: string | null;
  status: IntegrationStatus;
  local_batch_id: string | null;
  modified_date: string;
}

export const BATCH_STATUSES = ['initialized', 'commit', 'sent_to_remote', 'ongoing', 'done', 'fail'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** The reference's state machine; done and fail are final. */
const NEXT_STATUSES: Record<BatchStatus, readonly BatchStatus[]> = {
  initialized: ['commit', 'done', 'fail'],
  commit: ['commit', 'sent_to_remote', 'done', 'fail'],
  sent_to_remote: ['ongoing', 'done', 'fail'],
  ongoing: ['done', 'fail'],
  done: [],
  fail: [],
};

export interface BatchObject {
  pk: number;
  content_type: string;
  version_date: string | null;
  remote_id: string | null;
  failed_reason_type: string | null;
}

export interface BatchRequest {
  pk: number;
  channel: number;
  local_batch_id: string;
  remote_batch_id: string | null;
  content_type: string | null;
  status: BatchStatus;
  objects: BatchObject[];
  created_date: string;
  modified_date: string;
  /** Not serialised: ProductStock pk -> quantity at commit (what becomes "sent" when done). */
  committed: Map<number, number>;
}

export interface ErrorReport {
  pk: number;
  channel: number;
  action_content_type: number;
  action_object_id: number;
  error_code: string;
  error_description: string;
  raw_request: string;
  raw_response: string;
  is_ok: boolean;
  created_date: string;
}

export interface Product {
  pk: number;
  sku: string;
  name: string;
  base_code: string;
  attributes: { barcode: string; color: string };
}

export interface ProductStockJson {
  pk: number;
  product: number;
  stock: number;
  stock_list: number;
  unit_type: string;
  extra_field: Record<string, unknown>;
  sold_quantity_unreported: number;
  created_date: string;
  modified_date: string;
}

export interface SeedOptions {
  skus: number;
  locations?: number;
  stockLists?: number;
  seed?: number;
  credentials?: Partial<SandboxCredentials>;
}

/** Pending work of one channel for one stock list, as SKU indexes. */
class ChannelStockList {
  /** Quantity last sent successfully per SKU index; -1 = never. */
  sent: Int32Array;
  /**
   * Quantity whose delivery last FAILED per SKU index (-1 = none): a stock processed and failed in a `done` batch
   * (unknown at the channel, no price, ...) stays out of `inserts/`/`updates/` until its quantity changes again, the
   * way an integration action's version_date marks a version as handled. Without this a flow that pages "until empty"
   * would fetch the same permanent failures forever. A batch that goes `fail` (the run broke) records nothing: its
   * objects come back at once.
   */
  failed: Int32Array;
  readonly inserts = new Set<number>();
  readonly updates = new Set<number>();
  /** Committed into a batch that is not done/fail yet. */
  readonly hidden = new Map<number, number>();

  constructor(capacity: number) {
    this.sent = new Int32Array(capacity).fill(-1);
    this.failed = new Int32Array(capacity).fill(-1);
  }

  ensure(size: number): void {
    if (size <= this.sent.length) return;
    const grow = (old: Int32Array) => {
      const next = new Int32Array(Math.max(size, old.length * 2)).fill(-1);
      next.set(old);
      return next;
    };
    this.sent = grow(this.sent);
    this.failed = grow(this.failed);
  }
}

const iso = (ms = Date.now()) => new Date(ms).toISOString();

export class CatalogState {
  credentials: SandboxCredentials = { ...DEFAULT_CREDENTIALS };
  whippy = new StockStore();
  stockLists: StockList[] = [];
  /** Location ordinal -> stock-list ordinals that aggregate it. */
  listsOfLocation: number[][] = [];
  channels = new Map<number, Channel>();
  catalog: Catalog | undefined;
  /** Products up to this pk were seeded (and, but for every 50th, sent to the channels). */
  seededProducts = 0;
  private pending = new Map<string, ChannelStockList>();
  readonly tokens = new Set<string>();
  readonly batches = new Map<number, BatchRequest>();
  private batchSeq = 0;
  readonly actions = new Map<number, IntegrationAction>();
  private actionByObject = new Map<string, IntegrationAction>();
  private actionSeq = 0;
  readonly errorReports: ErrorReport[] = [];
  /** channel -> product stock pk -> how often `updates/`/`inserts/` handed it out malformed (fault injection). */
  private malformedHandouts = new Map<number, Map<number, number>>();
  /** Reservation changes already applied: `op|sku|location|date` (the 208 "Already reported" answer). */
  private reservations = new Set<string>();
  private randomDraws = 0;

  constructor(readonly marketplace: MarketplaceState) {}

  reset(): void {
    this.credentials = { ...DEFAULT_CREDENTIALS };
    this.whippy = new StockStore();
    this.stockLists = [];
    this.listsOfLocation = [];
    this.channels.clear();
    this.catalog = undefined;
    this.seededProducts = 0;
    this.pending.clear();
    this.tokens.clear();
    this.batches.clear();
    this.batchSeq = 0;
    this.actions.clear();
    this.actionByObject.clear();
    this.actionSeq = 0;
    this.errorReports.length = 0;
    this.malformedHandouts.clear();
    this.reservations.clear();
    this.randomDraws = 0;
  }

  // ---------------------------------------------------------------- seeding

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
    const store = this.whippy;
    store.addProvider({ code: 'shop_provider', name: 'Shop Provider' });
    store.addProvider({ code: 'dc_provider', name: 'Distribution Center Provider' });
    for (let i = 0; i < locationCount; i++) {
      const shop = i < Math.ceil(locationCount / 2);
      const code = String(110 + i);
      store.addLocation(code, shop ? `Store ${code}` : `Warehouse ${code}`, shop ? 'shop_provider' : 'dc_provider');
    }
    this.stockLists = Array.from({ length: listCount }, (_, ordinal) => ({
      id: ordinal + 1,
      ordinal,
      name: ordinal === 0 ? 'Main stock list' : `Extra stock list ${ordinal}`,
      locations: store.locations.filter((l) => l.ordinal % listCount === ordinal).map((l) => l.ordinal),
    }));
    this.listsOfLocation = store.locations.map((l) => [l.ordinal % listCount]);

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
    this.seededProducts = options.skus;

    const extraIds = this.stockLists.slice(1).map((l) => l.id);
    this.catalog = { pk: 1, name: 'Sandbox catalog', stock_list: 1, extra_stock_lists: extraIds, price_list: 1 };
    this.addChannel({
      pk: 1,
      name: 'trendyol',
      channel_type: 'trendyol',
      is_active: true,
      catalog: 1,
      conf: {
        adapter: 'trendyol',
        WAREHOUSE_CODES: Object.fromEntries(extraIds.map((id) => [String(id), `TY-WH-${id}`])),
        remote_id_attribute: null,
      },
    });
    this.addChannel({
      pk: 2,
      name: 'shopify',
      channel_type: 'shopify',
      is_active: true,
      catalog: 1,
      conf: {
        adapter: 'shopify',
        WAREHOUSE_CODES: Object.fromEntries(
          this.stockLists.map((l) => [String(l.id), `gid://shopify/Location/${l.id}`]),
        ),
        remote_id_attribute: null,
      },
    });

    const listings: Listing[] = [];
    for (let pk = 1; pk <= options.skus; pk++) {
      if (!this.productWasSent(pk)) continue;
      const sku = store.skus[pk - 1] ?? '';
      listings.push({ sku, barcode: sku, inventoryItemId: this.productRemoteId(2, pk) ?? '' });
    }
    this.marketplace.addListings(listings);
    return this.describe();
  }

  /** Ids and credentials a test or benchmark needs after seeding. */
  describe() {
    return {
      channels: [...this.channels.values()].map((c) => ({ pk: c.pk, name: c.name, conf: c.conf })),
      catalog: this.catalog?.pk ?? null,
      stockLists: this.stockLists.map((l) => ({
        id: l.id,
        name: l.name,
        main: l.ordinal === 0,
        locations: l.locations.map((o) => this.whippy.locations[o]?.code),
      })),
      priceList: this.catalog?.price_list ?? null,
      locations: this.whippy.locations.map(({ code, name, provider }) => ({ code, name, provider })),
      skus: this.whippy.skus.length,
      credentials: {
        omnitron: { username: this.credentials.username, password: this.credentials.password },
        whippyToken: this.credentials.whippyToken,
      },
    };
  }

  private addChannel(channel: Channel): void {
    this.channels.set(channel.pk, channel);
    const skuCount = this.whippy.skus.length;
    for (const list of this.stockLists) {
      const pending = new ChannelStockList(skuCount);
      this.pending.set(`${channel.pk}:${list.ordinal}`, pending);
      for (let s = 0; s < skuCount; s++) if (this.inList(list.ordinal, s)) pending.inserts.add(s);
    }
  }

  // ---------------------------------------------------------------- derived product stocks

  private inList(listOrdinal: number, skuIndex: number): boolean {
    let found = false;
    this.whippy.forEachOfSku(skuIndex, (r) => {
      if (this.listsOfLocation[this.whippy.location[r] ?? 0]?.includes(listOrdinal)) found = true;
    });
    return found;
  }

  /** Salable quantity, reserved quantity and last change of a ProductStock; undefined when it does not exist. */
  private aggregate(listOrdinal: number, skuIndex: number) {
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

  productStockPk(listOrdinal: number, skuIndex: number): number {
    return listOrdinal * PRODUCT_STOCK_PK_STRIDE + skuIndex + 1;
  }

  /** [list ordinal, SKU index] of a ProductStock pk, or undefined if no such ProductStock exists. */
  decodeProductStockPk(pk: number): [number, number] | undefined {
    const listOrdinal = Math.floor((pk - 1) / PRODUCT_STOCK_PK_STRIDE);
    const skuIndex = (pk - 1) % PRODUCT_STOCK_PK_STRIDE;
    if (!Number.isInteger(pk) || pk < 1 || listOrdinal >= this.stockLists.length) return undefined;
    if (skuIndex >= this.whippy.skus.length || !this.inList(listOrdinal, skuIndex)) return undefined;
    return [listOrdinal, skuIndex];
  }

  productStockJson(listOrdinal: number, skuIndex: number): ProductStockJson | undefined {
    const aggregate = this.aggregate(listOrdinal, skuIndex);
    const list = this.stockLists[listOrdinal];
    if (!aggregate || !list) return undefined;
    return {
      pk: this.productStockPk(listOrdinal, skuIndex),
      product: skuIndex + 1,
      stock: aggregate.stock,
      stock_list: list.id,
      unit_type: 'qty',
      extra_field: {},
      sold_quantity_unreported: aggregate.reserved,
      created_date: iso(aggregate.created),
      modified_date: iso(aggregate.modified),
    };
  }

  stockListById(id: number): StockList | undefined {
    return this.stockLists[id - 1];
  }

  private channelList(channel: number, listOrdinal: number): ChannelStockList {
    const pending = this.pending.get(`${channel}:${listOrdinal}`);
    if (!pending) throw notFound();
    pending.ensure(this.whippy.skus.length);
    return pending;
  }

  /** Puts a ProductStock in the right pending set of one channel, keeping its place when its set does not change. */
  private classify(pending: ChannelStockList, listOrdinal: number, skuIndex: number): void {
    const aggregate = pending.hidden.has(skuIndex) ? undefined : this.aggregate(listOrdinal, skuIndex);
    const sent = pending.sent[skuIndex] ?? -1;
    const quiet = !aggregate || pending.failed[skuIndex] === aggregate.stock;
    const target = quiet ? null : sent < 0 ? 'inserts' : sent !== aggregate.stock ? 'updates' : null;
    if (target !== 'inserts') pending.inserts.delete(skuIndex);
    if (target !== 'updates') pending.updates.delete(skuIndex);
    if (target) pending[target].add(skuIndex);
  }

  /** After any change of a SKU's records: re-classify it for every channel and every list it feeds. */
  private stockChanged(skuIndex: number): void {
    for (const channel of this.channels.keys()) {
      for (const list of this.stockLists)
        this.classify(this.channelList(channel, list.ordinal), list.ordinal, skuIndex);
    }
  }

  /** One page of `updates/` or `inserts/` for a channel and stock list. */
  pendingPage(channel: number, listOrdinal: number, kind: 'updates' | 'inserts', offset: number, limit: number) {
    const set = this.channelList(channel, listOrdinal)[kind];
    const page: ProductStockJson[] = [];
    let skipped = 0;
    for (const skuIndex of set) {
      if (skipped++ < offset) continue;
      const json = this.productStockJson(listOrdinal, skuIndex);
      if (json) page.push(json);
      if (page.length >= limit) break;
    }
    return { count: set.size, results: page };
  }

  /** What the channel should hold for a stock list: SKU -> current quantity, for products listed on the channel. */
  expected(channel: number, listOrdinal: number) {
    this.channelList(channel, listOrdinal);
    const quantities: Record<string, number> = {};
    let notListed = 0;
    this.whippy.skus.forEach((sku, skuIndex) => {
      const aggregate = this.aggregate(listOrdinal, skuIndex);
      if (!aggregate) return;
      if (this.productRemoteId(channel, skuIndex + 1) === undefined) notListed++;
      else quantities[sku] = aggregate.stock;
    });
    return { channel, stock_list: this.stockLists[listOrdinal]?.id, quantities, notListed };
  }

  /**
   * Control: every listed stock of one channel and list is delivered at its current quantity, as if an earlier sync had
   * run: Omnitron records it sent (so `updates/` hands out only what changes from now on) and the marketplace holds it
   * (Trendyol by barcode; Shopify at the list's WAREHOUSE_CODES location). Products never sent to the channel stay
   * as they are. Returns how many stocks were marked.
   */
  markDelivered(channel: number, listOrdinal: number): number {
    const pending = this.channelList(channel, listOrdinal);
    const conf = this.channels.get(channel)?.conf;
    const list = this.stockLists[listOrdinal];
    const location = list && conf?.WAREHOUSE_CODES[String(list.id)];
    if (conf?.adapter === 'shopify' && !location) {
      throw badRequest({ stock_list: [`WAREHOUSE_CODES of channel ${channel} maps no location to this list.`] });
    }
    let marked = 0;
    this.whippy.skus.forEach((sku, skuIndex) => {
      const remoteId = this.productRemoteId(channel, skuIndex + 1);
      const aggregate = this.aggregate(listOrdinal, skuIndex);
      if (remoteId === undefined || !aggregate || pending.hidden.has(skuIndex)) return;
      pending.sent[skuIndex] = aggregate.stock;
      pending.failed[skuIndex] = -1;
      this.classify(pending, listOrdinal, skuIndex);
      if (conf?.adapter === 'shopify') this.marketplace.holdShopify(remoteId, location ?? '', aggregate.stock);
      else this.marketplace.holdTrendyol(remoteId, aggregate.stock);
      marked++;
    });
    return marked;
  }

  /** Fault injection: `updates/`/`inserts/` handed this product stock out malformed to the channel. */
  recordMalformedHandout(channel: number, pk: number): void {
    let byPk = this.malformedHandouts.get(channel);
    if (!byPk) this.malformedHandouts.set(channel, (byPk = new Map()));
    byPk.set(pk, (byPk.get(pk) ?? 0) + 1);
  }

  /** The product stocks handed out malformed to a channel: pk, SKU and how many answers carried them broken. */
  malformedHandedOut(channel: number): { pk: number; sku: string; times: number }[] {
    return [...(this.malformedHandouts.get(channel) ?? [])].map(([pk, times]) => {
      const skuIndex = this.decodeProductStockPk(pk)?.[1];
      return { pk, sku: skuIndex === undefined ? '' : (this.whippy.skus[skuIndex] ?? ''), times };
    });
  }

  /**
   * What a channel got delivered twice through Omnitron: product stock pks that sit in more than one `done` batch, and
   * the `done` batches that re-delivered one of them (a page committed and delivered again). Only batches with a pk
   * above `afterBatchPk` count (an update run legitimately re-sends what an earlier run sent).
   */
  deliveredTwice(channel: number, afterBatchPk = 0): { pks: number[]; batches: number[] } {
    const seen = new Map<number, number>();
    const batches: number[] = [];
    // Map order is creation order: a stock's first delivery is met before its repeats.
    for (const batch of this.batches.values()) {
      if (batch.channel !== channel || batch.status !== 'done' || batch.pk <= afterBatchPk) continue;
      let again = false;
      for (const object of batch.objects) {
        const n = (seen.get(object.pk) ?? 0) + 1;
        seen.set(object.pk, n);
        again ||= n > 1;
      }
      if (again) batches.push(batch.pk);
    }
    return { pks: [...seen].filter(([, n]) => n > 1).map(([pk]) => pk), batches };
  }

  // ---------------------------------------------------------------- Whippy Ware writes

  createStock(input: WhippyStockInput): number {
    const location = this.whippy.resolveLocation(input.location, input.provider);
    const skuIndex = this.whippy.internSku(input.sku);
    if (this.whippy.find(skuIndex, location.ordinal) >= 0) {
      throw badRequest({ stock_exists_error: 'Stock already exists.' });
    }
    const r = this.whippy.addRecord(skuIndex, location.ordinal, input.stock, input.reserved_stock ?? 0, Date.now());
    this.applyOptional(r, input);
    this.stockChanged(skuIndex);
    return r;
  }

  /** All inputs are checked before any is applied: a bad one changes nothing. */
  upsertStocks(inputs: WhippyStockInput[]): void {
    const locations = inputs.map((input) => this.whippy.resolveLocation(input.location, input.provider));
    inputs.forEach((input, i) => {
      const skuIndex = this.whippy.internSku(input.sku);
      const location = locations[i]?.ordinal ?? 0;
      const existing = this.whippy.find(skuIndex, location);
      if (existing < 0) {
        const r = this.whippy.addRecord(skuIndex, location, input.stock, input.reserved_stock ?? 0, Date.now());
        this.applyOptional(r, input);
      } else {
        this.setRecord(existing, { stock: input.stock, reserved: input.reserved_stock });
        this.applyOptional(existing, input);
      }
      this.stockChanged(skuIndex);
    });
  }

  private applyOptional(r: number, input: WhippyStockInput): void {
    const store = this.whippy;
    if (input.is_active !== undefined) store.active[r] = input.is_active ? 1 : 0;
    if (input.stock_type !== undefined) store.stockType[r] = STOCK_TYPES.indexOf(input.stock_type);
    if (input.unit_type !== undefined) store.unitType[r] = UNIT_TYPES.indexOf(input.unit_type);
    if (input.period) store.period.set(r, input.period);
    else if (input.period === null) store.period.delete(r);
  }

  private setRecord(r: number, change: { stock?: number; reserved?: number }): void {
    if (change.stock !== undefined) this.whippy.stock[r] = change.stock;
    if (change.reserved !== undefined) this.whippy.reserved[r] = change.reserved;
    this.whippy.modified[r] = Date.now();
  }

  /**
   * +1/−1 reserved on one record. `date` identifies the reservation change: the same (direction, sku, location, date)
   * again answers 208 "Already reported" and changes nothing (the reference is silent on when 208 happens).
   */
  changeReserved(
    direction: 'increase' | 'decrease',
    target: { sku: string; location: string; provider?: string; date?: string },
  ): number | 'already-reported' {
    const location = this.whippy.resolveLocation(target.location, target.provider);
    const skuIndex = this.whippy.skuIndex.get(target.sku);
    const r = skuIndex === undefined ? -1 : this.whippy.find(skuIndex, location.ordinal);
    if (skuIndex === undefined || r < 0) throw notFound();
    const key = target.date && `${direction}|${target.sku}|${target.location}|${target.date}`;
    if (key && this.reservations.has(key)) return 'already-reported';
    const reserved = (this.whippy.reserved[r] ?? 0) + (direction === 'increase' ? 1 : -1);
    if (reserved < 0) throw badRequest({ reserved_stock: ['Reserved stock cannot be negative.'] });
    if (key) this.reservations.add(key);
    this.setRecord(r, { reserved });
    this.stockChanged(skuIndex);
    return r;
  }

  /**
   * Control: set or shift the stock of (sku, location); without a location, the SKU's first location. Returns the new
   * stock (never below 0).
   */
  changeStock(change: { sku: string; location?: string; stock?: number; delta?: number }): number {
    const skuIndex = this.whippy.skuIndex.get(change.sku);
    if (skuIndex === undefined) throw badRequest({ sku: [`Unknown SKU "${change.sku}".`] });
    let r = -1;
    if (change.location !== undefined) {
      r = this.whippy.find(skuIndex, this.whippy.resolveLocation(change.location, undefined).ordinal);
    } else {
      this.whippy.forEachOfSku(skuIndex, (candidate) => {
        if (r < 0 || (this.whippy.location[candidate] ?? 0) < (this.whippy.location[r] ?? 0)) r = candidate;
      });
    }
    if (r < 0) throw badRequest({ location: [`SKU "${change.sku}" has no stock in that location.`] });
    const stock = Math.max(0, change.stock ?? (this.whippy.stock[r] ?? 0) + (change.delta ?? 0));
    this.setRecord(r, { stock });
    this.stockChanged(skuIndex);
    return stock;
  }

  /** Control: `count` random records get a new random stock (0..40); deterministic per seed and call order. */
  randomStockChanges(count: number, seed: number): string[] {
    const store = this.whippy;
    const changed = new Set<string>();
    for (let i = 0; i < count && store.size > 0; i++) {
      const n = this.randomDraws++;
      const r = Math.floor(hashUnit(seed, 2 * n) * store.size);
      this.setRecord(r, { stock: Math.floor(hashUnit(seed, 2 * n + 1) * 41) });
      const skuIndex = store.sku[r] ?? 0;
      this.stockChanged(skuIndex);
      changed.add(store.skus[skuIndex] ?? '');
    }
    return [...changed];
  }

  // ---------------------------------------------------------------- Omnitron: auth, products, prices

  login(username: string, password: string): string | undefined {
    if (username !== this.credentials.username || password !== this.credentials.password) return undefined;
    const token = randomUUID().replace(/-/g, '');
    this.tokens.add(token);
    return token;
  }

  product(pk: number): Product | undefined {
    const sku = this.whippy.skus[pk - 1];
    if (sku === undefined) return undefined;
    return {
      pk,
      sku,
      name: `Product ${sku}`,
      base_code: sku,
      attributes: { barcode: sku, color: ['red', 'blue', 'black'][pk % 3] ?? '' },
    };
  }

  price(pk: number, priceList: number) {
    if (priceList !== this.catalog?.price_list || pk % PRICELESS_PRODUCT_EVERY === 0 || !this.product(pk))
      return undefined;
    const price = (10 + (pk % 90) + 0.99).toFixed(2);
    return { pk, product: pk, price_list: priceList, price, retail_price: price, currency_type: 'try' };
  }

  private productWasSent(pk: number): boolean {
    return pk <= this.seededProducts && pk % UNSENT_PRODUCT_EVERY !== 0;
  }

  /** The remote id of a seeded product on a channel: the barcode on Trendyol, an InventoryItem gid on Shopify. */
  productRemoteId(channel: number, pk: number): string | undefined {
    if (!this.productWasSent(pk) || !this.channels.has(channel)) return undefined;
    return channel === 2 ? `${SHOPIFY_ITEM_PREFIX}${pk}` : this.whippy.skus[pk - 1];
  }

  // ---------------------------------------------------------------- Omnitron: integration actions

  private seededProductAction(channel: number, pk: number): IntegrationAction | undefined {
    const remoteId = this.productRemoteId(channel, pk);
    if (remoteId === undefined) return undefined;
    return {
      pk: VIRTUAL_ACTION_PK_BASE + channel * CHANNEL_ACTION_PK_STRIDE + pk,
      channel,
      model: 'product',
      object_id: pk,
      remote_id: remoteId,
      version_date: iso(0),
      status: 'success',
      local_batch_id: null,
      modified_date: iso(0),
    };
  }

  /** The action of one object on a channel: a stored one, else (products) the seeded one. */
  actionOf(channel: number, model: ContentTypeModel, objectId: number): IntegrationAction | undefined {
    return (
      this.actionByObject.get(`${channel}:${model}:${objectId}`) ??
      (model === 'product' ? this.seededProductAction(channel, objectId) : undefined)
    );
  }

  /**
   * Candidate actions for a listing. Seeded product actions are computed, so they are listed only when the request
   * names objects (`object_id__in` / `remote_id__in`) — how the flows ask for them; a full listing shows stored ones.
   */
  actionCandidates(channel: number, objectIds?: number[], remoteIds?: string[]): IntegrationAction[] {
    if (objectIds) {
      return objectIds.flatMap((id) =>
        CONTENT_TYPES.map((c) => this.actionOf(channel, c.model, id)).filter((a): a is IntegrationAction => !!a),
      );
    }
    const stored = [...this.actions.values()].filter((a) => a.channel === channel);
    if (!remoteIds) return stored;
    const productPks = remoteIds.map((id) =>
      id.startsWith(SHOPIFY_ITEM_PREFIX)
        ? Number(id.slice(SHOPIFY_ITEM_PREFIX.length))
        : (this.whippy.skuIndex.get(id) ?? -1) + 1,
    );
    const storedProducts = new Set(stored.filter((a) => a.model === 'product').map((a) => a.object_id));
    const seeded = productPks
      .filter((pk) => pk > 0 && !storedProducts.has(pk))
      .map((pk) => this.seededProductAction(channel, pk))
      .filter((a): a is IntegrationAction => a !== undefined);
    return [...stored, ...seeded];
  }

  private upsertAction(channel: number, model: ContentTypeModel, objectId: number, change: Partial<IntegrationAction>) {
    const key = `${channel}:${model}:${objectId}`;
    let action = this.actionByObject.get(key);
    if (!action) {
      action = {
        pk: ++this.actionSeq,
        channel,
        model,
        object_id: objectId,
        remote_id: null,
        version_date: null,
        status: 'processing',
        local_batch_id: null,
        modified_date: iso(),
      };
      this.actionByObject.set(key, action);
      this.actions.set(action.pk, action);
    }
    Object.assign(action, change, { modified_date: iso() });
  }

  // ---------------------------------------------------------------- Omnitron: batch requests

  createBatch(channel: number, contentType: string | null): BatchRequest {
    if (!this.channels.has(channel)) throw notFound();
    const now = iso();
    const batch: BatchRequest = {
      pk: ++this.batchSeq,
      channel,
      local_batch_id: randomUUID(),
      remote_batch_id: null,
      content_type: contentType,
      status: 'initialized',
      objects: [],
      created_date: now,
      modified_date: now,
      committed: new Map(),
    };
    this.batches.set(batch.pk, batch);
    return batch;
  }

  batch(channel: number, pk: number): BatchRequest {
    const batch = this.batches.get(pk);
    if (!batch || batch.channel !== channel) throw notFound();
    return batch;
  }

  updateBatch(channel: number, pk: number, update: BatchUpdate): BatchRequest {
    const batch = this.batch(channel, pk);
    if (!NEXT_STATUSES[batch.status].includes(update.status)) {
      throw badRequest({ detail: `Batch request cannot be updated (${batch.status} -> ${update.status}).` });
    }
    switch (update.status) {
      case 'commit':
        this.commit(batch, update);
        break;
      case 'sent_to_remote':
        if (!update.remote_batch_id) throw badRequest({ remote_batch_id: ['This field is required.'] });
        batch.remote_batch_id = update.remote_batch_id;
        break;
      case 'done':
        this.finish(batch, update.objects ?? []);
        break;
      case 'fail':
        this.finish(batch, undefined);
        break;
    }
    batch.status = update.status;
    batch.modified_date = iso();
    return batch;
  }

  /** Creates processing integration actions and hides the objects from `inserts/`/`updates/` until done or fail. */
  private commit(batch: BatchRequest, update: BatchUpdate): void {
    const contentType = update.content_type ?? batch.content_type;
    if (contentType !== 'productstock') throw badRequest({ content_type: ['Only "productstock" is supported.'] });
    const other = [...this.batches.values()].find(
      (b) =>
        b.pk !== batch.pk && b.channel === batch.channel && b.status === 'commit' && b.content_type === contentType,
    );
    if (other) throw badRequest({ detail: `Batch request ${other.pk} of this content type is already in commit.` });
    const objects = (update.objects ?? []).map((o) => {
      const decoded = this.decodeProductStockPk(o.pk);
      if (!decoded) throw badRequest({ objects: [`Product stock ${o.pk} does not exist.`] });
      const holder = this.channelList(batch.channel, decoded[0]).hidden.get(decoded[1]);
      if (holder !== undefined && holder !== batch.pk) {
        throw badRequest({ objects: [`Product stock ${o.pk} is in batch request ${holder}.`] });
      }
      return { object: o, decoded };
    });
    batch.content_type = contentType;
    for (const { object, decoded } of objects) {
      const [listOrdinal, skuIndex] = decoded;
      const pending = this.channelList(batch.channel, listOrdinal);
      if (!batch.committed.has(object.pk)) {
        batch.objects.push({
          pk: object.pk,
          content_type: contentType,
          version_date: object.version_date ?? null,
          remote_id: null,
          failed_reason_type: null,
        });
      }
      batch.committed.set(object.pk, this.aggregate(listOrdinal, skuIndex)?.stock ?? 0);
      pending.hidden.set(skuIndex, batch.pk);
      this.classify(pending, listOrdinal, skuIndex);
      this.upsertAction(batch.channel, 'productstock', object.pk, {
        status: 'processing',
        local_batch_id: batch.local_batch_id,
      });
    }
  }

  /**
   * done (`reported` given): each committed object succeeds unless it carries a failed_reason_type or is missing from
   * the report (an object nobody reported on was not sent); successes count as sent with their committed quantity.
   * fail (`reported` undefined): every object's action becomes error and reappears in fetches at once; an object that
   * failed in a done batch reappears only once its quantity changes (see ChannelStockList.failed).
   */
  private finish(batch: BatchRequest, reported: BatchObjectUpdate[] | undefined): void {
    const byPk = new Map((reported ?? []).map((o) => [o.pk, o]));
    for (const pk of byPk.keys()) {
      if (!batch.committed.has(pk)) throw badRequest({ objects: [`Object ${pk} is not in this batch request.`] });
    }
    for (const object of batch.objects) {
      const report = byPk.get(object.pk);
      const success = report !== undefined && !report.failed_reason_type;
      if (reported) {
        object.remote_id = report?.remote_id ?? object.remote_id;
        object.failed_reason_type = report ? (report.failed_reason_type ?? null) : 'channel_app';
        object.version_date = report?.version_date ?? object.version_date;
      }
      const decoded = this.decodeProductStockPk(object.pk);
      if (!decoded) continue;
      const [listOrdinal, skuIndex] = decoded;
      const pending = this.channelList(batch.channel, listOrdinal);
      const committedQuantity = batch.committed.get(object.pk) ?? 0;
      if (success) pending.sent[skuIndex] = committedQuantity;
      pending.failed[skuIndex] = reported && !success ? committedQuantity : -1;
      if (pending.hidden.get(skuIndex) === batch.pk) pending.hidden.delete(skuIndex);
      this.classify(pending, listOrdinal, skuIndex);
      const previous = this.actionOf(batch.channel, 'productstock', object.pk);
      this.upsertAction(batch.channel, 'productstock', object.pk, {
        status: success ? 'success' : 'error',
        remote_id: report?.remote_id ?? previous?.remote_id ?? null,
        version_date: success ? (report?.version_date ?? iso()) : (previous?.version_date ?? null),
      });
    }
  }

  // ---------------------------------------------------------------- Omnitron: error reports

  addErrorReport(channel: number, input: Omit<ErrorReport, 'pk' | 'channel' | 'created_date'>): ErrorReport {
    if (!this.channels.has(channel)) throw notFound();
    const report = { pk: this.errorReports.length + 1, channel, ...input, created_date: iso() };
    this.errorReports.push(report);
    return report;
  }
}

export interface BatchObjectUpdate {
  pk: number;
  remote_id?: string | null;
  failed_reason_type?: string | null;
  version_date?: string | null;
}

export interface BatchUpdate {
  status: BatchStatus;
  content_type?: string;
  remote_batch_id?: string;
  objects?: BatchObjectUpdate[];
}
