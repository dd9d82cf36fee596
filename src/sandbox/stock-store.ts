/**
 * Whippy Ware's stock records, stored column-wise in typed arrays: a million SKUs over several locations are millions
 * of records, which as JS objects would cost gigabytes and slow every scan. Record `r` has id `r + 1`; ids are dense,
 * so the unfiltered list pages by offset. Each SKU chains its records (one per location) for O(locations) lookups.
 */
import { badRequest } from './http-helpers';

export interface Provider {
  code: string;
  name: string;
}

export interface Location {
  ordinal: number;
  code: string;
  name: string;
  provider: string;
}

export const STOCK_TYPES = ['standard', 'scheduled'] as const;
export const UNIT_TYPES = ['qty', 'kg'] as const;

/** The JSON of one record, as the reference examples show it. */
export interface StockRecordJson {
  id: number;
  created_date: string;
  modified_date: string;
  period: string | null;
  stock_type: string;
  unit_type: string;
  provider: string;
  location: string;
  stock: number;
  is_active: boolean;
  sku: string;
  reserved_stock: number;
}

function grown<T extends Int32Array | Uint8Array | Uint16Array | Float64Array>(array: T, size: number): T {
  if (size <= array.length) return array;
  const next = new (array.constructor as new (n: number) => T)(Math.max(size, array.length * 2, 1024));
  next.set(array);
  return next;
}

export class StockStore {
  readonly providers = new Map<string, Provider>();
  readonly locations: Location[] = [];
  readonly locationByCode = new Map<string, Location>();
  /** SKU index -> SKU; the SKU index + 1 is also the Omnitron product pk. */
  readonly skus: string[] = [];
  readonly skuIndex = new Map<string, number>();
  /** Record indexes per location ordinal, ascending (records are only appended). */
  readonly byLocation: number[][] = [];

  size = 0;
  sku = new Int32Array(0);
  location = new Uint16Array(0);
  stock = new Int32Array(0);
  reserved = new Int32Array(0);
  active = new Uint8Array(0);
  stockType = new Uint8Array(0);
  unitType = new Uint8Array(0);
  created = new Float64Array(0);
  modified = new Float64Array(0);
  /** Next record of the same SKU, -1 at the end. */
  nextOfSku = new Int32Array(0);
  /** First record per SKU index, -1 when it has none. */
  firstOfSku = new Int32Array(0);
  readonly period = new Map<number, string>();

  addProvider(provider: Provider): void {
    this.providers.set(provider.code, provider);
  }

  addLocation(code: string, name: string, provider: string): Location {
    const location = { ordinal: this.locations.length, code, name, provider };
    this.locations.push(location);
    this.locationByCode.set(code, location);
    this.byLocation.push([]);
    return location;
  }

  /** Index of the SKU, registering it when new. */
  internSku(sku: string): number {
    let index = this.skuIndex.get(sku);
    if (index === undefined) {
      index = this.skus.length;
      this.skus.push(sku);
      this.skuIndex.set(sku, index);
      this.firstOfSku = grown(this.firstOfSku, index + 1);
      this.firstOfSku[index] = -1;
    }
    return index;
  }

  /** Makes room for `extra` more SKUs and records at once (seeding a million would otherwise re-grow ~20 times). */
  reserve(extraSkus: number, extraRecords: number): void {
    this.firstOfSku = grown(this.firstOfSku, this.skus.length + extraSkus);
    const size = this.size + extraRecords;
    this.sku = grown(this.sku, size);
    this.location = grown(this.location, size);
    this.stock = grown(this.stock, size);
    this.reserved = grown(this.reserved, size);
    this.active = grown(this.active, size);
    this.stockType = grown(this.stockType, size);
    this.unitType = grown(this.unitType, size);
    this.created = grown(this.created, size);
    this.modified = grown(this.modified, size);
    this.nextOfSku = grown(this.nextOfSku, size);
  }

  addRecord(skuIndex: number, location: number, stock: number, reserved: number, at: number): number {
    this.reserve(0, 1);
    const r = this.size++;
    this.sku[r] = skuIndex;
    this.location[r] = location;
    this.stock[r] = stock;
    this.reserved[r] = reserved;
    this.active[r] = 1;
    this.stockType[r] = 0;
    this.unitType[r] = 0;
    this.created[r] = at;
    this.modified[r] = at;
    this.nextOfSku[r] = this.firstOfSku[skuIndex] ?? -1;
    this.firstOfSku[skuIndex] = r;
    this.byLocation[location]?.push(r);
    return r;
  }

  /** The record of (sku, location), or -1. */
  find(skuIndex: number, location: number): number {
    for (let r = this.firstOfSku[skuIndex] ?? -1; r >= 0; r = this.nextOfSku[r] ?? -1) {
      if (this.location[r] === location) return r;
    }
    return -1;
  }

  /** Calls `visit` for each record of the SKU. */
  forEachOfSku(skuIndex: number, visit: (r: number) => void): void {
    for (let r = this.firstOfSku[skuIndex] ?? -1; r >= 0; r = this.nextOfSku[r] ?? -1) visit(r);
  }

  /**
   * The location a request names, checked against the provider it names: the reference's
   * `{"invalid_location": "Location does not belong to provider."}` on a mismatch.
   */
  resolveLocation(code: string, provider: string | undefined): Location {
    const location = this.locationByCode.get(code);
    if (!location) throw badRequest({ location: [`Location with code "${code}" does not exist.`] });
    if (provider !== undefined && location.provider !== provider) {
      throw badRequest({ invalid_location: 'Location does not belong to provider.' });
    }
    return location;
  }

  salable(r: number): number {
    return Math.max(0, (this.stock[r] ?? 0) - (this.reserved[r] ?? 0));
  }

  toJson(r: number): StockRecordJson {
    const location = this.locations[this.location[r] ?? 0];
    return {
      id: r + 1,
      created_date: new Date(this.created[r] ?? 0).toISOString(),
      modified_date: new Date(this.modified[r] ?? 0).toISOString(),
      period: this.period.get(r) ?? null,
      stock_type: STOCK_TYPES[this.stockType[r] ?? 0] ?? 'standard',
      unit_type: UNIT_TYPES[this.unitType[r] ?? 0] ?? 'qty',
      provider: location?.provider ?? '',
      location: location?.code ?? '',
      stock: this.stock[r] ?? 0,
      is_active: this.active[r] === 1,
      sku: this.skus[this.sku[r] ?? 0] ?? '',
      reserved_stock: this.reserved[r] ?? 0,
    };
  }
}
