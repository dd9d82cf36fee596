/**
 * Whippy Ware's writes (create, insert-or-update, reserved stock) and the control's bulk stock changes: each change
 * of a SKU's records re-derives its product stocks for every channel (product-stocks.ts).
 */
import type { Catalogue } from './catalogue';
import { badRequest, hashUnit, notFound } from './http-helpers';
import type { ProductStocks } from './product-stocks';
import type { StockInput } from '../stock-api/schemas';
import { STOCK_TYPES, UNIT_TYPES } from './stock-store';

/** The sandbox accepts what the Whippy client sends: one contract, one type. */
export type WhippyStockInput = StockInput;

export class StockWrites {
  /** Reservation changes already applied: `op|sku|location|date` (the 208 "Already reported" answer). */
  private reservations = new Set<string>();
  private randomDraws = 0;

  constructor(
    private readonly model: Catalogue,
    private readonly stocks: ProductStocks,
  ) {}

  reset(): void {
    this.reservations.clear();
    this.randomDraws = 0;
  }

  createStock(input: WhippyStockInput): number {
    const location = this.model.whippy.resolveLocation(input.location, input.provider);
    const skuIndex = this.model.whippy.internSku(input.sku);
    if (this.model.whippy.find(skuIndex, location.ordinal) >= 0) {
      throw badRequest({ stock_exists_error: 'Stock already exists.' });
    }
    const r = this.model.whippy.addRecord(
      skuIndex,
      location.ordinal,
      input.stock,
      input.reserved_stock ?? 0,
      Date.now(),
    );
    this.applyOptional(r, input);
    this.stocks.changed(skuIndex);
    return r;
  }

  /** All inputs are checked before any is applied: a bad one changes nothing. */
  upsertStocks(inputs: WhippyStockInput[]): void {
    const locations = inputs.map((input) => this.model.whippy.resolveLocation(input.location, input.provider));
    inputs.forEach((input, i) => {
      const skuIndex = this.model.whippy.internSku(input.sku);
      const location = locations[i]?.ordinal ?? 0;
      const existing = this.model.whippy.find(skuIndex, location);
      if (existing < 0) {
        const r = this.model.whippy.addRecord(skuIndex, location, input.stock, input.reserved_stock ?? 0, Date.now());
        this.applyOptional(r, input);
      } else {
        this.setRecord(existing, { stock: input.stock, reserved: input.reserved_stock });
        this.applyOptional(existing, input);
      }
      this.stocks.changed(skuIndex);
    });
  }

  private applyOptional(r: number, input: WhippyStockInput): void {
    const store = this.model.whippy;
    if (input.is_active !== undefined) store.active[r] = input.is_active ? 1 : 0;
    if (input.stock_type !== undefined) store.stockType[r] = STOCK_TYPES.indexOf(input.stock_type);
    if (input.unit_type !== undefined) store.unitType[r] = UNIT_TYPES.indexOf(input.unit_type);
    if (input.period) store.period.set(r, input.period);
    else if (input.period === null) store.period.delete(r);
  }

  private setRecord(r: number, change: { stock?: number; reserved?: number }): void {
    if (change.stock !== undefined) this.model.whippy.stock[r] = change.stock;
    if (change.reserved !== undefined) this.model.whippy.reserved[r] = change.reserved;
    this.model.whippy.modified[r] = Date.now();
  }

  /**
   * +1/−1 reserved on one record. `date` identifies the reservation change: the same (direction, sku, location, date)
   * again answers 208 "Already reported" and changes nothing (the reference is silent on when 208 happens).
   */
  changeReserved(
    direction: 'increase' | 'decrease',
    target: { sku: string; location: string; provider?: string; date?: string },
  ): number | 'already-reported' {
    const location = this.model.whippy.resolveLocation(target.location, target.provider);
    const skuIndex = this.model.whippy.skuIndex.get(target.sku);
    const r = skuIndex === undefined ? -1 : this.model.whippy.find(skuIndex, location.ordinal);
    if (skuIndex === undefined || r < 0) throw notFound();
    const key = target.date && `${direction}|${target.sku}|${target.location}|${target.date}`;
    if (key && this.reservations.has(key)) return 'already-reported';
    const reserved = (this.model.whippy.reserved[r] ?? 0) + (direction === 'increase' ? 1 : -1);
    if (reserved < 0) throw badRequest({ reserved_stock: ['Reserved stock cannot be negative.'] });
    if (key) this.reservations.add(key);
    this.setRecord(r, { reserved });
    this.stocks.changed(skuIndex);
    return r;
  }

  /**
   * Control: set or shift the stock of (sku, location); without a location, the SKU's first location. Returns the new
   * stock (never below 0).
   */
  changeStock(change: { sku: string; location?: string; stock?: number; delta?: number }): number {
    const skuIndex = this.model.whippy.skuIndex.get(change.sku);
    if (skuIndex === undefined) throw badRequest({ sku: [`Unknown SKU "${change.sku}".`] });
    let r = -1;
    if (change.location !== undefined) {
      r = this.model.whippy.find(skuIndex, this.model.whippy.resolveLocation(change.location, undefined).ordinal);
    } else {
      this.model.whippy.forEachOfSku(skuIndex, (candidate) => {
        if (r < 0 || (this.model.whippy.location[candidate] ?? 0) < (this.model.whippy.location[r] ?? 0)) r = candidate;
      });
    }
    if (r < 0) throw badRequest({ location: [`SKU "${change.sku}" has no stock in that location.`] });
    const stock = Math.max(0, change.stock ?? (this.model.whippy.stock[r] ?? 0) + (change.delta ?? 0));
    this.setRecord(r, { stock });
    this.stocks.changed(skuIndex);
    return stock;
  }

  /** Control: `count` random records get a new random stock (0..40); deterministic per seed and call order. */
  randomStockChanges(count: number, seed: number): string[] {
    const store = this.model.whippy;
    const changed = new Set<string>();
    for (let i = 0; i < count && store.size > 0; i++) {
      const n = this.randomDraws++;
      const r = Math.floor(hashUnit(seed, 2 * n) * store.size);
      this.setRecord(r, { stock: Math.floor(hashUnit(seed, 2 * n + 1) * 41) });
      const skuIndex = store.sku[r] ?? 0;
      this.stocks.changed(skuIndex);
      changed.add(store.skus[skuIndex] ?? '');
    }
    return [...changed];
  }
}
