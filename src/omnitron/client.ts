/**
 * Omnitron client for the stock flows. Logs in lazily through one {@link OmnitronSession} per client (one per worker
 * process), and on a 401 logs in again ONCE and repeats the call (tokens expire; a second 401 means the credentials
 * are wrong and surfaces as AuthenticationError). No other retries: Temporal retries the activity.
 *
 * Writes exactly what the reference implementation (`akinon/channel_app` over omnisdk) sends, with the spec's field
 * names; reads every shape either shows (schemas.ts). Lists of ids go out in chunks under 6 KiB of query, so no URL
 * nears the 8 KiB proxies refuse.
 *
 * The password and token live in private fields: they never reach errors (the mapper copies no headers), logs,
 * `JSON.stringify` or `util.inspect` of the client.
 */
import { inspect } from 'node:util';
import type { AxiosInstance, AxiosRequestConfig } from 'axios';
import { z } from 'zod';
import { createHttpClient } from '../http/client';
import pLimit from 'p-limit';
import { AuthenticationError, parseResponse, ResponseValidationError } from '../http/errors';
import { type DrfPage, drfPageSchema, iteratePages } from '../shared/drf-page';
import {
  type BatchObject,
  batchObject,
  type BatchRequest,
  type BatchRequestStatus,
  batchRequestSchema,
  type Catalog,
  catalogSchema,
  type Channel,
  channelSchema,
  type ContentType,
  contentTypeSchema,
  type ErrorReport,
  type ErrorReportInput,
  errorReportSchema,
  type ExtraProductPrice,
  extraProductPriceSchema,
  type IntegrationAction,
  integrationActionSchema,
  type IntegrationStatus,
  looseProductStockPageSchema,
  type Product,
  productSchema,
  type ProductStock,
  productStockSchema,
} from './schemas';
import { OmnitronSession } from './session';
import { issueEntries } from '../../workflows/issues';

export interface OmnitronClientOptions {
  baseURL: string;
  username: string;
  password: string;
  timeoutMs?: number;
}

export interface FetchProductStocksOptions {
  channelId: number;
  kind: 'updates' | 'inserts';
  /** An extra stock list: read `extra_product_stocks/<kind>/?stock_list=<id>`; absent = the main list. */
  stockListId?: number;
  limit: number;
  page?: number;
}

/** A record of a product-stocks page that failed validation; the rest of the page is still usable. */
export interface MalformedProductStock {
  index: number;
  pk?: number;
  /** The record's `modified_date` when it is a string (the version a commit of the record names). */
  versionDate?: string;
  fields: { path: string; message: string }[];
}

export interface ProductStockPage {
  count: number;
  next: string | null;
  stocks: ProductStock[];
  malformed: MalformedProductStock[];
}

interface Paging {
  page?: number;
  limit?: number;
}

export interface IntegrationActionFilters extends Paging {
  local_batch_id?: string;
  status?: IntegrationStatus;
  object_id__in?: readonly number[];
  remote_id__in?: readonly string[];
  content_type_name?: string;
  /** `id` unless given: DRF pages of an unordered queryset may skip or repeat records. */
  sort?: string;
}

export interface BatchRequestFilters extends Paging {
  /** Repeated `status=` parameters: any of these. */
  status?: readonly BatchRequestStatus[];
  content_type?: string;
  local_batch_id?: string;
  remote_batch_id?: string;
}

export interface ErrorReportFilters extends Paging {
  /** Error codes start with the batch's local id (`<local_batch_id>-Channel-...`). */
  error_code__startswith?: string;
  is_ok?: boolean;
  action_object_id?: number;
}

/** What `commit` names per object: the stock and the version committed (its `modified_date`). */
export interface CommitObject {
  pk: number;
  version_date: string | null;
}

/**
 * Id lists (`pk__in`, `object_id__in`, `remote_id__in`) go out packed into requests whose list stays under
 * ID_QUERY_BYTES, at most MAX_IDS_PER_REQUEST ids, so a URL stays well under the 8 KiB proxies allow. The reference
 * chunks by count (50 ids; 10 remote ids) and so asks 20 times for a page of 1,000 stocks where this asks twice: any
 * failed request retries the whole activity attempt, so an attempt's odds under faults fall with every request it
 * makes (README, Contracts).
 */
export const ID_QUERY_BYTES = 6 * 1024;
export const MAX_IDS_PER_REQUEST = 1_000;
/** Chunks of one list asked at once. */
const CHUNK_CONCURRENCY = 4;

/** Validates each record on its own, so one malformed record cannot sink its page. */
function validateEachStock(records: readonly unknown[]): Pick<ProductStockPage, 'stocks' | 'malformed'> {
  const stocks: ProductStock[] = [];
  const malformed: MalformedProductStock[] = [];
  records.forEach((record, index) => {
    const parsed = productStockSchema.safeParse(record);
    if (parsed.success) {
      stocks.push(parsed.data);
      return;
    }
    const { pk, modified_date: versionDate } = (record ?? {}) as { pk?: unknown; modified_date?: unknown };
    malformed.push({
      index,
      pk: typeof pk === 'number' ? pk : undefined,
      versionDate: typeof versionDate === 'string' ? versionDate : undefined,
      fields: issueEntries(parsed.error),
    });
  });
  return { stocks, malformed };
}

const pkList = (values: readonly (number | string)[] | undefined) => (values ? values.join(',') : undefined);

/** Bytes an id adds to a query list (encoded as axios sends it, commas kept) plus its separator. */
const queryBytes = (id: number | string) => Buffer.byteLength(encodeURIComponent(String(id))) + 1;

/** `ids` in order, split into lists of at most MAX_IDS_PER_REQUEST ids and ID_QUERY_BYTES each. */
export function packIds<T extends number | string>(ids: readonly T[]): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const id of ids) {
    const size = queryBytes(id);
    if (current.length > 0 && (bytes + size > ID_QUERY_BYTES || current.length >= MAX_IDS_PER_REQUEST)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(id);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Every record of every chunk of `ids`, each chunk paged through `next`, a few chunks at a time, in chunk order. */
async function readInChunks<I extends number | string, R>(
  ids: readonly I[],
  page: (chunk: I[], page: number) => Promise<DrfPage<R>>,
): Promise<R[]> {
  const limit = pLimit(CHUNK_CONCURRENCY);
  const read = async (chunk: I[]) => {
    const records: R[] = [];
    for await (const record of iteratePages((n) => page(chunk, n))) records.push(record);
    return records;
  };
  return (await Promise.all(packIds(ids).map((chunk) => limit(() => read(chunk))))).flat();
}

export class OmnitronClient {
  readonly #http: AxiosInstance;
  readonly #username: string;
  readonly #session: OmnitronSession;
  readonly #contentTypes = new Map<string, Promise<ContentType>>();

  constructor(options: OmnitronClientOptions) {
    this.#http = createHttpClient({ api: 'omnitron', baseURL: options.baseURL, timeoutMs: options.timeoutMs });
    this.#username = options.username;
    this.#session = new OmnitronSession(this.#http, options.username, options.password);
  }

  toJSON(): { api: string; username: string } {
    return { api: 'omnitron', username: this.#username };
  }

  [inspect.custom](): string {
    return `OmnitronClient(${this.#username})`;
  }

  getChannel(channelId: number): Promise<Channel> {
    return this.get(`channels/${channelId}/`, channelSchema, 'channel');
  }

  getCatalog(catalogId: number): Promise<Catalog> {
    return this.get(`catalogs/${catalogId}/`, catalogSchema, 'catalog');
  }

  /** One page of `updates/` or `inserts/`; each record is validated on its own (see {@link ProductStockPage}). */
  async fetchProductStocks(options: FetchProductStocksOptions): Promise<ProductStockPage> {
    const resource = options.stockListId === undefined ? 'product_stocks' : 'extra_product_stocks';
    const envelope = await this.get(
      `channel/${options.channelId}/${resource}/${options.kind}/`,
      looseProductStockPageSchema,
      `product stocks ${options.kind}`,
      { stock_list: options.stockListId, limit: options.limit, page: options.page },
    );
    const { stocks, malformed } = validateEachStock(envelope.results);
    return { count: envelope.count, next: envelope.next, stocks, malformed };
  }

  /**
   * Product stocks by pk, whatever their state (also while committed), validated record by record: the DRF list
   * `channel/{cid}/product_stocks/?pk__in=&limit=`, as the reference reads a batch's stocks back. The send activity
   * reads a committed batch's stocks with it, so no stock record ever travels through workflow history.
   */
  async getProductStocks(channelId: number, pks: readonly number[]): Promise<Omit<ProductStockPage, 'next'>> {
    const records = await readInChunks(pks, (chunk, page) =>
      this.get(`channel/${channelId}/product_stocks/`, looseProductStockPageSchema, 'product stocks', {
        pk__in: pkList(chunk),
        limit: chunk.length,
        page,
      }),
    );
    return { count: records.length, ...validateEachStock(records) };
  }

  /** One page of integration actions (ids sent as given: callers with long id lists use the iterator). */
  listIntegrationActions(
    channelId: number,
    filters: IntegrationActionFilters = {},
  ): Promise<DrfPage<IntegrationAction>> {
    return this.get(
      `channel/${channelId}/integration_actions/`,
      drfPageSchema(integrationActionSchema),
      'integration actions',
      {
        ...filters,
        sort: filters.sort ?? 'id',
        object_id__in: pkList(filters.object_id__in),
        remote_id__in: pkList(filters.remote_id__in),
      },
    );
  }

  /**
   * Every integration action matching the filters, page after page; an `object_id__in` or `remote_id__in` list goes
   * out in packed chunks (see {@link packIds}), each chunk paged on its own.
   */
  async *iterateIntegrationActions(
    channelId: number,
    filters: Omit<IntegrationActionFilters, 'page'> = {},
  ): AsyncGenerator<IntegrationAction> {
    const { object_id__in: objectIds, remote_id__in: remoteIds } = filters;
    const chunks: Omit<IntegrationActionFilters, 'page'>[] = objectIds
      ? packIds(objectIds).map((ids) => ({ ...filters, object_id__in: ids }))
      : remoteIds
        ? packIds(remoteIds).map((ids) => ({ ...filters, remote_id__in: ids }))
        : [filters];
    for (const chunk of chunks) {
      const limit = chunk.limit ?? chunk.object_id__in?.length ?? chunk.remote_id__in?.length;
      yield* iteratePages((page) => this.listIntegrationActions(channelId, { ...chunk, limit, page }));
    }
  }

  /** A fresh `initialized` batch with a server-made `local_batch_id`; the body names only the channel. */
  createBatch(channelId: number): Promise<BatchRequest> {
    return this.request(batchRequestSchema, 'create batch request', {
      method: 'post',
      url: `channel/${channelId}/batch_requests/`,
      data: { channel: channelId },
    });
  }

  getBatch(channelId: number, pk: number): Promise<BatchRequest> {
    return this.get(`channel/${channelId}/batch_requests/${pk}/`, batchRequestSchema, 'batch request');
  }

  /** The reference's filters: repeated `status`, `content_type`, and the channel again as `channel`. */
  listBatches(channelId: number, filters: BatchRequestFilters = {}): Promise<DrfPage<BatchRequest>> {
    return this.get(`channel/${channelId}/batch_requests/`, drfPageSchema(batchRequestSchema), 'batch requests', {
      ...filters,
      channel: channelId,
    });
  }

  /**
   * Commits objects into the batch: Omnitron creates processing integration actions and hides them from fetches. Each
   * object carries the five keys the reference sends (nothing failed yet, no remote id yet).
   */
  commitBatch(
    channelId: number,
    pk: number,
    objects: readonly CommitObject[],
    contentType = 'productstock',
  ): Promise<BatchRequest> {
    return this.patchBatch(channelId, pk, {
      objects: objects.map((o) => batchObject(o.pk, { version_date: o.version_date, content_type: contentType })),
      status: 'commit',
      content_type: contentType,
    });
  }

  markSentToRemote(channelId: number, pk: number, remoteBatchId: string): Promise<BatchRequest> {
    return this.patchBatch(channelId, pk, { remote_batch_id: remoteBatchId, status: 'sent_to_remote' });
  }

  markOngoing(channelId: number, pk: number): Promise<BatchRequest> {
    return this.patchBatch(channelId, pk, { status: 'ongoing' });
  }

  /** Every object with its `remote_id`, failed ones with their `failed_reason_type`. */
  markDone(channelId: number, pk: number, objects: readonly BatchObject[]): Promise<BatchRequest> {
    return this.patchBatch(channelId, pk, { objects, status: 'done' });
  }

  /** The run broke: `objects: null`, as the reference sends it; Omnitron hands the objects out again. */
  markFail(channelId: number, pk: number): Promise<BatchRequest> {
    return this.patchBatch(channelId, pk, { objects: null, status: 'fail' });
  }

  /** The answer is not read (the reference ignores it; the spec shows none for the create). */
  async createErrorReport(channelId: number, report: ErrorReportInput): Promise<void> {
    await this.request(z.unknown(), 'create error report', {
      method: 'post',
      url: `channel/${channelId}/error_reports/`,
      data: report,
    });
  }

  listErrorReports(channelId: number, filters: ErrorReportFilters = {}): Promise<DrfPage<ErrorReport>> {
    return this.get(`channel/${channelId}/error_reports/`, drfPageSchema(errorReportSchema), 'error reports', filters);
  }

  /** Every error report matching the filters, page after page. */
  async *iterateErrorReports(channelId: number, filters: Omit<ErrorReportFilters, 'page'> = {}) {
    yield* iteratePages((page) => this.listErrorReports(channelId, { ...filters, page }));
  }

  /** Content types never change while a process lives: asked once per model. */
  getContentType(model: string): Promise<ContentType> {
    let cached = this.#contentTypes.get(model);
    if (!cached) {
      cached = this.get('content_types/', drfPageSchema(contentTypeSchema), 'content types', { model }).then((page) => {
        const found = page.results.find((c) => c.model === model);
        if (!found)
          throw new ResponseValidationError('content types', [
            { path: 'results', message: `no content type "${model}"` },
          ]);
        return found;
      });
      cached.catch(() => this.#contentTypes.delete(model));
      this.#contentTypes.set(model, cached);
    }
    return cached;
  }

  /** Channel products by pk (`pk__in`, `limit`). */
  listProducts(channelId: number, pks: readonly number[]): Promise<Product[]> {
    return readInChunks(pks, (chunk, page) =>
      this.get(`channel/${channelId}/products/`, drfPageSchema(productSchema), 'products', {
        pk__in: pkList(chunk),
        limit: chunk.length,
        page,
      }),
    );
  }

  /** Products by SKU (`sku__in`, comma-separated, as the products list documents it); unknown SKUs are absent. */
  listProductsBySku(channelId: number, skus: readonly string[]): Promise<Product[]> {
    return readInChunks(skus, (chunk, page) =>
      this.get(`channel/${channelId}/products/`, drfPageSchema(productSchema), 'products', {
        sku__in: chunk.join(','),
        limit: chunk.length,
        page,
      }),
    );
  }

  /**
   * A product's stock in one stock list (`product=` and `stock_list=`, the filters the extra product stocks list
   * documents; the main list's `product_stocks/` is read the same way). Undefined when the list holds none.
   */
  async productStockOf(
    channelId: number,
    productPk: number,
    stockList: { id: number; main: boolean },
  ): Promise<ProductStock | undefined> {
    const resource = stockList.main ? 'product_stocks' : 'extra_product_stocks';
    const page = await this.get(`channel/${channelId}/${resource}/`, looseProductStockPageSchema, 'product stocks', {
      product: productPk,
      stock_list: stockList.id,
      limit: 2,
    });
    return validateEachStock(page.results).stocks[0];
  }

  /** Prices of products in a price list (`product__pk__in`, `price_list`, `limit`, as the reference asks). */
  listExtraProductPrices(
    channelId: number,
    productPks: readonly number[],
    priceListId: number,
  ): Promise<ExtraProductPrice[]> {
    return readInChunks(productPks, (chunk, page) =>
      this.get(
        `channel/${channelId}/extra_product_prices/`,
        drfPageSchema(extraProductPriceSchema),
        'extra product prices',
        { product__pk__in: pkList(chunk), price_list: priceListId, limit: chunk.length, page },
      ),
    );
  }

  /** Every batch update names its channel, as the reference's do. */
  private patchBatch(channelId: number, pk: number, data: object): Promise<BatchRequest> {
    return this.request(batchRequestSchema, 'update batch request', {
      method: 'patch',
      url: `channel/${channelId}/batch_requests/${pk}/`,
      data: { channel: channelId, ...data },
    });
  }

  private get<S extends z.ZodType>(path: string, schema: S, what: string, params?: object): Promise<z.infer<S>> {
    return this.request(schema, what, { method: 'get', url: path, params });
  }

  /** Sends with the session's token; on 401 logs in again once and repeats. */
  private async request<S extends z.ZodType>(
    schema: S,
    what: string,
    request: AxiosRequestConfig,
  ): Promise<z.infer<S>> {
    const attempt = async (token: string) => {
      const { data } = await this.#http.request<unknown>({ ...request, headers: { Authorization: `Token ${token}` } });
      return parseResponse(schema, data, what);
    };
    const token = await this.#session.token();
    try {
      return await attempt(token);
    } catch (err) {
      if (!(err instanceof AuthenticationError) || err.status !== 401) throw err;
      this.#session.refused(token);
      return attempt(await this.#session.token());
    }
  }
}
