/**
 * What tests, benchmarks and chaos runs ask the sandbox about deliveries (the control endpoints): what a channel should
 * hold, a delivered baseline as if an earlier sync had run, product stocks delivered twice, records handed out
 * malformed.
 */
import type { BatchRequests } from './batch-requests';
import type { Catalogue } from './catalogue';
import { badRequest } from './http-helpers';
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
   * Every listed stock of one channel and list is delivered at its current quantity, as if an earlier sync had run:
   * Omnitron records it sent (so `updates/` hands out only what changes from now on) and the marketplace holds it
   * (Trendyol by barcode; Shopify at the list's WAREHOUSE_CODES location). Products never sent to the channel stay as
   * they are. Returns how many stocks were marked.
   */
  markDelivered(channel: number, listOrdinal: number): number {
    const pending = this.stocks.of(channel, listOrdinal);
    const conf = this.model.channels.get(channel)?.conf;
    const list = this.model.stockLists[listOrdinal];
    const location = list && conf?.WAREHOUSE_CODES[String(list.id)];
    if (conf?.adapter === 'shopify' && !location) {
      throw badRequest({ stock_list: [`WAREHOUSE_CODES of channel ${channel} maps no location to this list.`] });
    }
    let marked = 0;
    this.model.whippy.skus.forEach((_sku, skuIndex) => {
      const pk = skuIndex + 1;
      const remoteId = this.products.remoteId(channel, pk);
      const aggregate = this.model.aggregate(listOrdinal, skuIndex);
      if (remoteId === undefined || !aggregate || pending.hidden.has(skuIndex)) return;
      pending.sent[skuIndex] = aggregate.stock;
      pending.failed[skuIndex] = -1;
      this.stocks.classify(pending, listOrdinal, skuIndex);
      if (conf?.adapter === 'shopify') this.marketplace.holdShopify(remoteId, location ?? '', aggregate.stock);
      else this.marketplace.holdTrendyol(this.products.barcode(pk) ?? remoteId, aggregate.stock);
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
