/**
 * Omnitron's product stocks, DERIVED from Whippy Ware and never stored: a ProductStock exists per (product, stock list)
 * when the SKU has a record in one of the list's locations, and its `stock` is the sum over those locations of
 * max(0, stock − reserved_stock) of the ACTIVE records (OMS "available = total − reserved"; one location's
 * over-reservation cannot eat another's stock).
 *
 * Per (channel, stock list) it keeps the quantity last sent successfully and two pending sets, updated on every change:
 * `inserts` (never sent) and `updates` (sent, quantity changed since), minus the objects hidden by a committed batch.
 * A page of `updates/`/`inserts/` is then O(page), never a scan of the catalogue.
 */
import { type Catalogue, iso } from './catalogue';
import { notFound } from './http-helpers';

/** ProductStock pk = stock-list ordinal × stride + product pk: unique, and decodable without a table. */
const PRODUCT_STOCK_PK_STRIDE = 100_000_000;

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

/** Pending work of one channel for one stock list, as SKU indexes. */
export class ChannelStockList {
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
  /** Committed into a batch that is not done/fail yet: SKU index -> batch pk. */
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

export class ProductStocks {
  private pending = new Map<string, ChannelStockList>();

  constructor(private readonly model: Catalogue) {}

  reset(): void {
    this.pending.clear();
  }

  /** A new channel: every ProductStock of every list starts as an insert. */
  addChannel(channel: number): void {
    const skuCount = this.model.whippy.skus.length;
    for (const list of this.model.stockLists) {
      const pending = new ChannelStockList(skuCount);
      this.pending.set(`${channel}:${list.ordinal}`, pending);
      for (let s = 0; s < skuCount; s++) if (this.model.inList(list.ordinal, s)) pending.inserts.add(s);
    }
  }

  pk(listOrdinal: number, skuIndex: number): number {
    return listOrdinal * PRODUCT_STOCK_PK_STRIDE + skuIndex + 1;
  }

  /** [list ordinal, SKU index] of a ProductStock pk, or undefined if no such ProductStock exists. */
  decode(pk: number): [number, number] | undefined {
    const listOrdinal = Math.floor((pk - 1) / PRODUCT_STOCK_PK_STRIDE);
    const skuIndex = (pk - 1) % PRODUCT_STOCK_PK_STRIDE;
    if (!Number.isInteger(pk) || pk < 1 || listOrdinal >= this.model.stockLists.length) return undefined;
    if (skuIndex >= this.model.whippy.skus.length || !this.model.inList(listOrdinal, skuIndex)) return undefined;
    return [listOrdinal, skuIndex];
  }

  json(listOrdinal: number, skuIndex: number): ProductStockJson | undefined {
    const aggregate = this.model.aggregate(listOrdinal, skuIndex);
    const list = this.model.stockLists[listOrdinal];
    if (!aggregate || !list) return undefined;
    return {
      pk: this.pk(listOrdinal, skuIndex),
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

  /** Pending work of a channel for a list (404 for an unknown channel). */
  of(channel: number, listOrdinal: number): ChannelStockList {
    const pending = this.pending.get(`${channel}:${listOrdinal}`);
    if (!pending) throw notFound();
    pending.ensure(this.model.whippy.skus.length);
    return pending;
  }

  /** Puts a ProductStock in the right pending set of one channel, keeping its place when its set does not change. */
  classify(pending: ChannelStockList, listOrdinal: number, skuIndex: number): void {
    const aggregate = pending.hidden.has(skuIndex) ? undefined : this.model.aggregate(listOrdinal, skuIndex);
    const sent = pending.sent[skuIndex] ?? -1;
    const quiet = !aggregate || pending.failed[skuIndex] === aggregate.stock;
    const target = quiet ? null : sent < 0 ? 'inserts' : sent !== aggregate.stock ? 'updates' : null;
    if (target !== 'inserts') pending.inserts.delete(skuIndex);
    if (target !== 'updates') pending.updates.delete(skuIndex);
    if (target) pending[target].add(skuIndex);
  }

  /** After any change of a SKU's records: re-classify it for every channel and every list it feeds. */
  changed(skuIndex: number): void {
    for (const channel of this.model.channels.keys()) {
      for (const list of this.model.stockLists) this.classify(this.of(channel, list.ordinal), list.ordinal, skuIndex);
    }
  }

  /** One page of `updates/` or `inserts/` for a channel and stock list. */
  page(channel: number, listOrdinal: number, kind: 'updates' | 'inserts', offset: number, limit: number) {
    const set = this.of(channel, listOrdinal)[kind];
    const page: ProductStockJson[] = [];
    let skipped = 0;
    for (const skuIndex of set) {
      if (skipped++ < offset) continue;
      const json = this.json(listOrdinal, skuIndex);
      if (json) page.push(json);
      if (page.length >= limit) break;
    }
    return { count: set.size, results: page };
  }
}
