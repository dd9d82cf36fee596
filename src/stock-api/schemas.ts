/**
 * Zod schemas of the Whippy Ware stock API, shaped after the reference page's examples (not its parameter tables, which
 * disagree with them: e.g. `location` is documented as an integer but every example sends and returns a string code).
 */
import { z } from 'zod';
import { drfPageSchema } from '../shared/drf-page';

/** Location codes: strings in every example, integers in the tables; both are accepted and kept as strings. */
const locationCode = z.union([z.string(), z.number().int()]).transform(String);

export const stockRecordSchema = z.object({
  id: z.number().int(),
  sku: z.string(),
  provider: z.string(),
  location: locationCode,
  stock: z.number().int(),
  reserved_stock: z.number().int(),
  is_active: z.boolean(),
  period: z.string().nullable(),
  stock_type: z.string(),
  unit_type: z.string(),
  created_date: z.string(),
  modified_date: z.string(),
});
export type StockRecord = z.infer<typeof stockRecordSchema>;

export const stockPageSchema = drfPageSchema(stockRecordSchema);
export type StockPage = z.infer<typeof stockPageSchema>;

/** One row of `Store_checkResult`: a SKU's quantity in one store (location). */
export const storeCheckRowSchema = z.object({
  sku: z.string(),
  retail_store_code: z.string(),
  retail_store_name: z.string(),
  stock: z.number().int(),
});
export type StoreCheckRow = z.infer<typeof storeCheckRowSchema>;

/** Single-SKU queries answer a list of rows. */
export const storeCheckResultSchema = z.object({ Store_checkResult: z.array(storeCheckRowSchema) });
/** Multi-SKU queries answer rows grouped by SKU. */
export const multiStoreCheckResultSchema = z.object({
  Store_checkResult: z.record(z.string(), z.array(storeCheckRowSchema)),
});

/** 208 answer of the reserved-stock endpoints when the same reservation change was already applied. */
export const alreadyReportedSchema = z.object({ message: z.literal('Already reported') });

export const activeStockSchema = z.object({
  sku: z.string(),
  stock: z.number().int(),
  extra_field: z.record(z.string(), z.unknown()).nullable().optional(),
});
export type ActiveStock = z.infer<typeof activeStockSchema>;

/** Active-stocks pages carry no `count`: only links. */
export const activeStockPageSchema = z.object({
  next: z.string().nullable(),
  previous: z.string().nullable(),
  results: z.array(activeStockSchema),
});
export type ActiveStockPage = z.infer<typeof activeStockPageSchema>;

/** What create and upsert send: the four required fields plus the optional ones the create example shows. */
export interface StockInput {
  sku: string;
  provider: string;
  location: string;
  stock: number;
  reserved_stock?: number;
  is_active?: boolean;
  period?: string | null;
  stock_type?: 'standard' | 'scheduled';
  unit_type?: 'qty' | 'kg';
}

type Lookups<Name extends string, T> = { [K in Name | `${Name}__${'gt' | 'gte' | 'lt' | 'lte'}`]?: T };

/** Every filter the search endpoint documents, as query parameters. Dates are ISO 8601 strings. */
export type StockFilters = Lookups<'stock', number> &
  Lookups<'reserved_stock', number> &
  Lookups<'created_date', string> &
  Lookups<'modified_date', string> & {
    sku?: string;
    is_active?: boolean;
    /** Location code, exact. */
    location?: string;
    /** Provider code, exact. */
    provider?: string;
    /** Case-insensitive substring of the location's name. */
    location_name?: string;
    /** Case-insensitive substring of the provider's name. */
    provider_name?: string;
    period__startswith__gte?: string;
    period__startswith__lte?: string;
    period__endswith__gte?: string;
    period__endswith__lte?: string;
    unit_type?: string;
    stock_type?: string;
    /** A field name, `-` prefixed for descending (e.g. `-modified_date`). */
    sort?: string;
    page?: number;
    limit?: number;
  };
