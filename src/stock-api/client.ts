/**
 * Whippy Ware stock API client. One method per documented endpoint, every answer validated; no retries here (Temporal
 * retries the activity).
 *
 * Where the reference page is ambiguous it is read this way, and the sandbox accepts exactly this:
 * - The query endpoints (`stock_query`, `multi_stock_query`, `salable_stock_query`, `multi_salable_stock_query`) are
 *   GETs whose examples carry a JSON body, which many proxies drop; the client sends `sku=` query parameters instead,
 *   repeated for the multi variants (`?sku=500&sku=505`), as the parameter tables say ("In: query").
 * - The reserved-stock endpoints take the JSON body of their examples (`{sku, location, provider?, date?}`).
 * - Active stocks: POST with the JSON body `{sku}` when filtering by SKU, the page number as a query parameter (the
 *   shape of the `next` links in the examples).
 */
import type { AxiosInstance } from 'axios';
import type { z } from 'zod';
import { createHttpClient } from '../http/client';
import { parseResponse } from '../http/errors';
import { iteratePages } from '../shared/drf-page';
import {
  type ActiveStock,
  type ActiveStockPage,
  activeStockPageSchema,
  alreadyReportedSchema,
  multiStoreCheckResultSchema,
  type StockFilters,
  type StockInput,
  type StockPage,
  type StockRecord,
  stockPageSchema,
  stockRecordSchema,
  type StoreCheckRow,
  storeCheckResultSchema,
} from './schemas';

export interface WhippyStockClientOptions {
  baseURL: string;
  apiToken: string;
  timeoutMs?: number;
}

/** Identifies one stock record for the reserved-stock endpoints. `date` is the reservation's date (idempotency). */
export interface ReservedStockTarget {
  sku: string;
  location: string;
  provider?: string;
  date?: string;
}

export type ReservedStockResult = StockRecord | { alreadyReported: true };

export class WhippyStockClient {
  private readonly http: AxiosInstance;

  constructor(options: WhippyStockClientOptions) {
    this.http = createHttpClient({
      api: 'whippy',
      baseURL: options.baseURL,
      timeoutMs: options.timeoutMs,
      headers: { Authorization: `Token ${options.apiToken}` },
    });
  }

  /** Keeps the token out of logs and serialised objects. */
  toJSON(): { api: string } {
    return { api: 'whippy' };
  }

  async listStocks(filters: StockFilters = {}): Promise<StockPage> {
    return this.get('stocks/', stockPageSchema, 'list stocks', filters);
  }

  /** Every stock record matching the filters, page after page. */
  async *iterateStocks(filters: Omit<StockFilters, 'page'> = {}): AsyncGenerator<StockRecord> {
    yield* iteratePages((page) => this.listStocks({ ...filters, page }));
  }

  async createStock(input: StockInput): Promise<StockRecord> {
    const { data } = await this.http.post<unknown>('stocks/', input);
    return parseResponse(stockRecordSchema, data, 'create stock');
  }

  async increaseReservedStock(target: ReservedStockTarget): Promise<ReservedStockResult> {
    return this.changeReservedStock('increase_reserved_stock', target);
  }

  async decreaseReservedStock(target: ReservedStockTarget): Promise<ReservedStockResult> {
    return this.changeReservedStock('decrease_reserved_stock', target);
  }

  /** Raw stock of one SKU per store. */
  async stockQuery(sku: string): Promise<StoreCheckRow[]> {
    return (await this.get('stocks/stock_query/', storeCheckResultSchema, 'stock query', { sku })).Store_checkResult;
  }

  async multiStockQuery(skus: readonly string[]): Promise<Record<string, StoreCheckRow[]>> {
    const answer = await this.get('stocks/multi_stock_query/', multiStoreCheckResultSchema, 'multi stock query', {
      sku: skus,
    });
    return answer.Store_checkResult;
  }

  /** Salable (stock − reserved) quantity of one SKU per store. */
  async salableStockQuery(sku: string): Promise<StoreCheckRow[]> {
    const answer = await this.get('stocks/salable_stock_query/', storeCheckResultSchema, 'salable stock query', {
      sku,
    });
    return answer.Store_checkResult;
  }

  async multiSalableStockQuery(skus: readonly string[]): Promise<Record<string, StoreCheckRow[]>> {
    const answer = await this.get(
      'stocks/multi_salable_stock_query/',
      multiStoreCheckResultSchema,
      'multi salable stock query',
      { sku: skus },
    );
    return answer.Store_checkResult;
  }

  /** Upsert by (sku, provider, location); the API answers an empty `Store_checkResult` on success. */
  async insertOrUpdateStocks(stocks: StockInput | readonly StockInput[]): Promise<void> {
    const { data } = await this.http.post<unknown>('stocks/insert_or_update_stock/', stocks);
    parseResponse(multiStoreCheckResultSchema, data, 'insert or update stocks');
  }

  /** One page of a stock list's aggregated active stock. */
  async activeStocks(
    stockListId: number | string,
    options: { sku?: string; page?: number } = {},
  ): Promise<ActiveStockPage> {
    const body = options.sku === undefined ? undefined : { sku: options.sku };
    const { data } = await this.http.post<unknown>(`active-stocks/${encodeURIComponent(String(stockListId))}/`, body, {
      params: options.page === undefined ? undefined : { page: options.page },
    });
    return parseResponse(activeStockPageSchema, data, 'active stocks');
  }

  /**
   * One page of "List Multiple Active Stock" (`POST stocks/{stocklist_id}/`, no body): every SKU of the list with its
   * active stock, paged by `next` (the page number its `next` link names). Reconciliation walks a list with it.
   */
  async multipleActiveStocks(stockListId: number | string, page: number): Promise<ActiveStockPage> {
    const { data } = await this.http.post<unknown>(`stocks/${encodeURIComponent(String(stockListId))}/`, undefined, {
      params: page > 1 ? { page } : undefined,
    });
    return parseResponse(activeStockPageSchema, data, 'multiple active stocks');
  }

  async *iterateActiveStocks(
    stockListId: number | string,
    options: { sku?: string } = {},
  ): AsyncGenerator<ActiveStock> {
    yield* iteratePages((page) => this.activeStocks(stockListId, { ...options, page }));
  }

  private async get<S extends z.ZodType>(path: string, schema: S, what: string, params: object): Promise<z.infer<S>> {
    const { data } = await this.http.get<unknown>(path, { params });
    return parseResponse(schema, data, what);
  }

  private async changeReservedStock(path: string, target: ReservedStockTarget): Promise<ReservedStockResult> {
    const { status, data } = await this.http.post<unknown>(`stocks/${path}/`, target);
    if (status === 208) {
      parseResponse(alreadyReportedSchema, data, path);
      return { alreadyReported: true };
    }
    return parseResponse(stockRecordSchema, data, path);
  }
}
