/**
 * Omnitron client for the stock flows. Logs in lazily, keeps the token in memory only, and on a 401 logs in again ONCE
 * and repeats the call (tokens expire; a second 401 means the credentials are wrong and surfaces as
 * AuthenticationError). No other retries: Temporal retries the activity.
 *
 * The password and token live in private fields: they never reach errors (the mapper copies no headers), logs,
 * `JSON.stringify` or `util.inspect` of the client.
 */
import { inspect } from 'node:util';
import type { AxiosInstance, AxiosRequestConfig } from 'axios';
import type { z } from 'zod';
import { createHttpClient } from '../http/client';
import { AuthenticationError, formatIssuePath, parseResponse, ResponseValidationError } from '../http/errors';
import { type DrfPage, drfPageSchema, iteratePages } from '../shared/drf-page';
import {
  type BatchObject,
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
  loginResponseSchema,
  looseProductStockPageSchema,
  type Product,
  productSchema,
  type ProductStock,
  productStockSchema,
} from './schemas';

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

/** What `commit` sends per object. */
export interface CommitObject {
  pk: number;
  version_date?: string;
}

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
      fields: parsed.error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message })),
    });
  });
  return { stocks, malformed };
}

const pkList = (values: readonly (number | string)[] | undefined) => (values ? values.join(',') : undefined);

export class OmnitronClient {
  readonly #http: AxiosInstance;
  readonly #username: string;
  readonly #password: string;
  #token: string | undefined;
  #login: Promise<string> | undefined;
  readonly #contentTypes = new Map<string, Promise<ContentType>>();

  constructor(options: OmnitronClientOptions) {
    this.#http = createHttpClient({ api: 'omnitron', baseURL: options.baseURL, timeoutMs: options.timeoutMs });
    this.#username = options.username;
    this.#password = options.password;
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
   * Product stocks by pk, whatever their state (also while committed), validated record by record. Not in the public
   * reference: the DRF list `channel/{cid}/product_stocks/?pk__in=` (see the sandbox); the send activity reads a
   * committed batch's stocks back with it, so no stock record ever travels through workflow history.
   */
  async getProductStocks(channelId: number, pks: readonly number[]): Promise<Omit<ProductStockPage, 'next'>> {
    if (pks.length === 0) return { count: 0, stocks: [], malformed: [] };
    const envelope = await this.get(
      `channel/${channelId}/product_stocks/`,
      looseProductStockPageSchema,
      'product stocks',
      { pk__in: pkList(pks), limit: pks.length },
    );
    return { count: envelope.count, ...validateEachStock(envelope.results) };
  }

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
        object_id__in: pkList(filters.object_id__in),
        remote_id__in: pkList(filters.remote_id__in),
      },
    );
  }

  iterateIntegrationActions(
    channelId: number,
    filters: Omit<IntegrationActionFilters, 'page'> = {},
  ): AsyncGenerator<IntegrationAction> {
    return iteratePages((page) => this.listIntegrationActions(channelId, { ...filters, page }));
  }

  /** A fresh `initialized` batch with a server-made `local_batch_id`. */
  createBatch(channelId: number, contentType = 'productstock'): Promise<BatchRequest> {
    return this.request(batchRequestSchema, 'create batch request', {
      method: 'post',
      url: `channel/${channelId}/batch_requests/`,
      data: { channel: channelId, content_type: contentType },
    });
  }

  getBatch(channelId: number, pk: number): Promise<BatchRequest> {
    return this.get(`channel/${channelId}/batch_requests/${pk}/`, batchRequestSchema, 'batch request');
  }

  listBatches(channelId: number, filters: BatchRequestFilters = {}): Promise<DrfPage<BatchRequest>> {
    return this.get(
      `channel/${channelId}/batch_requests/`,
      drfPageSchema(batchRequestSchema),
      'batch requests',
      filters,
    );
  }

  /** Commits objects into the batch: Omnitron creates processing integration actions and hides them from fetches. */
  commitBatch(
    channelId: number,
    pk: number,
    objects: readonly CommitObject[],
    contentType = 'productstock',
  ): Promise<BatchRequest> {
    const body = {
      status: 'commit',
      content_type: contentType,
      objects: objects.map((o) => ({ ...o, content_type: contentType })),
    };
    return this.patchBatch(channelId, pk, body);
  }

  markSentToRemote(channelId: number, pk: number, remoteBatchId: string): Promise<BatchRequest> {
    return this.patchBatch(channelId, pk, { status: 'sent_to_remote', remote_batch_id: remoteBatchId });
  }

  markOngoing(channelId: number, pk: number): Promise<BatchRequest> {
    return this.patchBatch(channelId, pk, { status: 'ongoing' });
  }

  /** Every object with its `remote_id`, failed ones with their `failed_reason_type`. */
  markDone(channelId: number, pk: number, objects: readonly BatchObject[]): Promise<BatchRequest> {
    return this.patchBatch(channelId, pk, { status: 'done', objects });
  }

  markFail(channelId: number, pk: number): Promise<BatchRequest> {
    return this.patchBatch(channelId, pk, { status: 'fail' });
  }

  createErrorReport(channelId: number, report: ErrorReportInput): Promise<ErrorReport> {
    return this.request(errorReportSchema, 'create error report', {
      method: 'post',
      url: `channel/${channelId}/error_reports/`,
      data: report,
    });
  }

  listErrorReports(channelId: number, filters: ErrorReportFilters = {}): Promise<DrfPage<ErrorReport>> {
    return this.get(`channel/${channelId}/error_reports/`, drfPageSchema(errorReportSchema), 'error reports', filters);
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

  async listProducts(channelId: number, pks: readonly number[]): Promise<Product[]> {
    if (pks.length === 0) return [];
    const page = await this.get(`channel/${channelId}/products/`, drfPageSchema(productSchema), 'products', {
      pk__in: pkList(pks),
      limit: pks.length,
    });
    return page.results;
  }

  async listExtraProductPrices(
    channelId: number,
    productPks: readonly number[],
    priceListId: number,
  ): Promise<ExtraProductPrice[]> {
    if (productPks.length === 0) return [];
    const page = await this.get(
      `channel/${channelId}/extra_product_prices/`,
      drfPageSchema(extraProductPriceSchema),
      'extra product prices',
      { product__pk__in: pkList(productPks), price_list: priceListId, limit: productPks.length },
    );
    return page.results;
  }

  private patchBatch(channelId: number, pk: number, data: object): Promise<BatchRequest> {
    return this.request(batchRequestSchema, 'update batch request', {
      method: 'patch',
      url: `channel/${channelId}/batch_requests/${pk}/`,
      data,
    });
  }

  private get<S extends z.ZodType>(path: string, schema: S, what: string, params?: object): Promise<z.infer<S>> {
    return this.request(schema, what, { method: 'get', url: path, params });
  }

  /** Sends with the cached token; on 401 logs in again once and repeats. */
  private async request<S extends z.ZodType>(
    schema: S,
    what: string,
    request: AxiosRequestConfig,
  ): Promise<z.infer<S>> {
    const attempt = async (token: string) => {
      const { data } = await this.#http.request<unknown>({ ...request, headers: { Authorization: `Token ${token}` } });
      return parseResponse(schema, data, what);
    };
    const token = await this.token();
    try {
      return await attempt(token);
    } catch (err) {
      if (!(err instanceof AuthenticationError) || err.status !== 401) throw err;
      if (this.#token === token) this.#token = undefined;
      return attempt(await this.token());
    }
  }

  /** One login at a time: concurrent calls share it. */
  private async token(): Promise<string> {
    if (this.#token) return this.#token;
    this.#login ??= this.#http
      .post<unknown>('auth/login/', { username: this.#username, password: this.#password })
      .then(({ data }) => {
        this.#token = parseResponse(loginResponseSchema, data, 'login').key;
        return this.#token;
      })
      .finally(() => {
        this.#login = undefined;
      });
    return this.#login;
  }
}
