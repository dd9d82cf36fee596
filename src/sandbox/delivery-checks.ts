/**
 * What tests, benchmarks and chaos runs ask the sandbox about deliveries (the control endpoints): what a channel should
 * hold, a delivered baseline as if an earlier sync had run, product stocks delivered twice, records handed out
 * malformed.
 */
import type { BatchRequests } from './batch-requests';
import type { Catalogue } from './catalogue';
import { badRequest, hashUnit } from './http-helpers';
import type { MarketplaceState } from './marketplace-state';
import type { ProductStocks } from './product-stocks';
import type { Products } from './products';

export class DeliveryChecks {
  /** channel -> product stock pk -> how often `updates/`/`inserts/` handed it out malformed (fault injection). */
  private malformedHandouts = new Map<number, Map<number, number>>();

  constructor(
    private readonly model: Catalogue,
    private readonly stocks: ProductStocks,
    private readonly products: Products,
    private readonly batches: BatchRequests,
    private readonly marketplace: MarketplaceState,
  ) {}

  reset(): void {
    this.malformedHandouts.clear();
  }

  /** What the channel should hold for a stock list: SKU -> current quantity, for products listed on the channel. */
  expected(channel: number, listOrdinal: number) {
    this.stocks.of(channel, listOrdinal);
    const quantities: Record<string, number> = {};
    let notListed = 0;
    this.model.whippy.skus.forEach((sku, skuIndex) => {
      const aggregate = this.model.aggregate(listOrdinal, skuIndex);
      if (!aggregate) return;
      if (this.products.remoteId(channel, skuIndex + 1) === undefined) notListed++;
      else quantities[sku] = aggregate.stock;
    });
    return { channel, stock_list: this.model.stockLists[listOrdinal]?.id, quantities, notListed };
  }

  /**
   * What the channel's marketplace holds for a stock list (at its warehouse, where it has them): SKU -> quantity for
   * every product listed on the channel (null: the marketplace has no such item), in the shape of {@link expected}.
   */
  held(channel: number, listOrdinal: number) {
    const { holdings, warehouse } = this.holdingsOf(channel, listOrdinal, 'maps no location to this list');
    const quantities: Record<string, number | null> = {};
    this.model.whippy.skus.forEach((sku, skuIndex) => {
      const heldAs = this.products.heldAs(channel, skuIndex + 1);
      if (heldAs !== undefined) quantities[sku] = holdings.held(heldAs, warehouse) ?? null;
    });
    return { channel, stock_list: this.model.stockLists[listOrdinal]?.id, quantities };
  }

  /**
   * Every listed stock of one channel and list is delivered at its current quantity, as if an earlier sync had run:
   * Omnitron records it sent (so `updates/` hands out only what changes from now on) and the marketplace holds it
   * (at the list's WAREHOUSE_CODES warehouse where the marketplace has warehouses). Products never sent to the channel
   * stay as they are. Returns how many stocks were marked.
   */
  markDelivered(channel: number, listOrdinal: number): number {
    const pending = this.stocks.of(channel, listOrdinal);
    const { holdings, warehouse } = this.holdingsOf(channel, listOrdinal, 'maps no location to this list');
    let marked = 0;
    this.model.whippy.skus.forEach((_sku, skuIndex) => {
      const pk = skuIndex + 1;
      const heldAs = this.products.heldAs(channel, pk);
      const aggregate = this.model.aggregate(listOrdinal, skuIndex);
      if (heldAs === undefined || !aggregate || pending.hidden.has(skuIndex)) return;
      pending.sent[skuIndex] = aggregate.stock;
      pending.failed[skuIndex] = -1;
      this.stocks.classify(pending, listOrdinal, skuIndex);
      holdings.hold(heldAs, warehouse, aggregate.stock);
      marked++;
    });
    return marked;
  }

  /**
   * Control: the marketplace's copy of some listed SKUs of one channel and list changes behind Omnitron's back (a
   * seller's edit, an order there, a lost update). Explicit SKUs get the quantity given (null: the channel no longer
   * has the item); `random` picks `count` listed SKUs by `seed` and moves each off what it holds (every 4th to 0).
   * Answers each SKU with what it held before and holds now.
   */
  drift(
    channel: number,
    listOrdinal: number,
    change: { skus: { sku: string; quantity: number | null }[] } | { random: { count: number; seed: number } },
  ): { sku: string; was: number | null; held: number | null }[] {
    const { holdings, warehouse } = this.holdingsOf(channel, listOrdinal, 'holds nothing for this stock list');
    const heldOf = (pk: number): number | null => {
      const heldAs = this.products.heldAs(channel, pk);
      return heldAs === undefined ? null : (holdings.held(heldAs, warehouse) ?? null);
    };
    const set = (pk: number, quantity: number | null) =>
      holdings.drift(this.products.heldAs(channel, pk) ?? '', warehouse, quantity);
    const targets =
      'skus' in change
        ? change.skus.map(({ sku, quantity }) => {
            const index = this.model.whippy.skuIndex.get(sku);
            if (index === undefined || this.products.remoteId(channel, index + 1) === undefined) {
              throw badRequest({ skus: [`SKU "${sku}" is not listed on channel ${channel}.`] });
            }
            return { pk: index + 1, quantity };
          })
        : this.pickListed(channel, change.random.count, change.random.seed).map((pk, i) => {
            const was = heldOf(pk) ?? 0;
            const off = was + 1 + Math.floor(hashUnit(change.random.seed + 7, pk) * 9);
            return { pk, quantity: i % 4 === 3 && was > 0 ? 0 : off };
          });
    return targets.map(({ pk, quantity }) => {
      const was = heldOf(pk);
      set(pk, quantity);
      return { sku: this.model.whippy.skus[pk - 1] ?? '', was, held: heldOf(pk) };
    });
  }

  /** The channel's marketplace and, where it has warehouses, the one WAREHOUSE_CODES maps the list to. */
  private holdingsOf(channel: number, listOrdinal: number, unmapped: string) {
    const conf = this.model.channels.get(channel)?.conf;
    const list = this.model.stockLists[listOrdinal];
    const warehouse = list && conf?.WAREHOUSE_CODES[String(list.id)];
    const holdings = conf && this.marketplace.holdings(conf.adapter);
    if (!holdings) throw badRequest({ channel: [`channel ${channel} has no marketplace in this sandbox.`] });
    if (holdings.hasWarehouses && !warehouse) {
      throw badRequest({ stock_list: [`WAREHOUSE_CODES of channel ${channel} ${unmapped}.`] });
    }
    return { holdings, warehouse: holdings.hasWarehouses ? warehouse : undefined };
  }

  /** `count` distinct listed products of a channel, chosen by `seed`. */
  private pickListed(channel: number, count: number, seed: number): number[] {
    const listed = this.model.whippy.skus
      .map((_, i) => i + 1)
      .filter((pk) => this.products.remoteId(channel, pk) !== undefined);
    return listed
      .map((pk) => ({ pk, key: hashUnit(seed, pk) }))
      .sort((a, b) => a.key - b.key)
      .slice(0, count)
      .map((p) => p.pk);
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
      const skuIndex = this.stocks.decode(pk)?.[1];
      return { pk, sku: skuIndex === undefined ? '' : (this.model.whippy.skus[skuIndex] ?? ''), times };
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
    for (const batch of this.batches.all.values()) {
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
}
