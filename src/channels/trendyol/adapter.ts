/**
 * Trendyol: asynchronous. `price-and-inventory` accepts up to 1,000 items and answers a batchRequestId; the batch
 * result lists every request item with SUCCESS/FAILED and its failure reasons (kept 4 h by Trendyol). Trendyol's
 * docs say that for stock/price batches the batch status may be missing, so completion is judged by the items.
 */
import { z } from 'zod';
import { createHttpClient } from '../../http/client';
import { ClientRequestError, RateLimitedError, parseResponse } from '../../http/errors';
import { BaseChannelAdapter, callJson } from '../base';
import type { BatchCheck, ChannelItem, ChannelLimits, ItemResult, SendOutcome } from '../port';

export const TRENDYOL_DEFAULT_LIMITS: ChannelLimits = {
  itemsPerRequest: 1_000,
  // Trendyol allows 50 requests to one endpoint per 10 s (then 429); 4/s keeps headroom for the seller's other tools.
  requestsPerSecond: 4,
  maxQuantity: 20_000,
};

export interface TrendyolAdapterOptions {
  baseURL: string;
  sellerId: string;
  apiKey: string;
  apiSecret: string;
  /** Goes into the mandatory User-Agent "<sellerId> - <integratorName>"; Trendyol answers 403 without it. */
  integratorName: string;
  limits: ChannelLimits;
  timeoutMs?: number;
  /** Trendyol refuses the same body again for this long (15 min in production). */
  repeatWindowMs?: number;
}

/** Trendyol's answer to the same request body within its repeat window. */
const REPEATED_REQUEST = /request\.repeated/;
const TRENDYOL_REPEAT_WINDOW_MS = 15 * 60_000;

const submitted = z.object({ batchRequestId: z.string().min(1) });

const batchResult = z.object({
  status: z.string().optional(),
  items: z
    .array(
      z.object({
        requestItem: z.object({ barcode: z.string() }),
        status: z.string(),
        failureReasons: z.array(z.string()).nullish(),
      }),
    )
    .default([]),
});

const FINAL_ITEM_STATUSES = new Set(['SUCCESS', 'FAILED']);

export class TrendyolAdapter extends BaseChannelAdapter {
  private readonly http;
  private readonly sellerPath: string;
  private readonly repeatWindowMs: number;

  constructor(options: TrendyolAdapterOptions) {
    super({ name: 'trendyol', mode: 'async', hasWarehouses: false, limits: options.limits });
    const basic = Buffer.from(`${options.apiKey}:${options.apiSecret}`).toString('base64');
    this.http = createHttpClient({
      api: 'trendyol',
      baseURL: options.baseURL,
      timeoutMs: options.timeoutMs,
      headers: { Authorization: `Basic ${basic}`, 'User-Agent': `${options.sellerId} - ${options.integratorName}` },
    });
    this.sellerPath = encodeURIComponent(options.sellerId);
    this.repeatWindowMs = options.repeatWindowMs ?? TRENDYOL_REPEAT_WINDOW_MS;
  }

  /**
   * A body Trendyol refuses as repeated was sent and accepted within the window (typically: our own send whose reply
   * was lost, then a retry). Whether the earlier batch succeeded item by item is unknown, so we neither claim delivery
   * nor give up: the send becomes retryable exactly when the window has passed (a RateLimitedError), the honest wait.
   */
  protected async send(items: readonly ChannelItem[], refused: ItemResult[]): Promise<SendOutcome> {
    const { data, exchange } = await callJson(this.http, {
      method: 'POST',
      path: `integration/inventory/sellers/${this.sellerPath}/products/price-and-inventory`,
      body: { items: items.map(toRequestItem) },
      what: 'trendyol price-and-inventory',
    }).catch((err: unknown) => {
      if (err instanceof ClientRequestError && REPEATED_REQUEST.test(err.serverMessage ?? '')) {
        throw new RateLimitedError(
          { api: err.api, method: err.method, path: err.path, status: err.status, serverMessage: err.serverMessage },
          this.repeatWindowMs,
        );
      }
      throw err;
    });
    const { batchRequestId } = parseResponse(submitted, data, 'trendyol price-and-inventory');
    return { mode: 'async', remoteBatchId: batchRequestId, rejected: refused, exchanges: [exchange] };
  }

  async checkBatch(remoteBatchId: string): Promise<BatchCheck> {
    const { data, exchange } = await callJson(this.http, {
      method: 'GET',
      path: `integration/product/sellers/${this.sellerPath}/products/batch-requests/${encodeURIComponent(remoteBatchId)}`,
      what: 'trendyol batch-requests',
    });
    const batch = parseResponse(batchResult, data, 'trendyol batch-requests');
    const itemsFinal = batch.items.length > 0 && batch.items.every((i) => FINAL_ITEM_STATUSES.has(i.status));
    if (!itemsFinal && batch.status !== 'COMPLETED') return { state: 'pending', exchanges: [exchange] };
    const results = batch.items.map((item): ItemResult => {
      if (item.status === 'SUCCESS') return { remoteId: item.requestItem.barcode, status: 'success' };
      const reasons = item.failureReasons?.join('; ');
      return { remoteId: item.requestItem.barcode, status: 'failed', message: reasons || `item status ${item.status}` };
    });
    return { state: 'done', results, exchanges: [exchange] };
  }
}

/** Omnitron gives one price; Trendyol refuses a listPrice below salePrice, so both carry it (no strike-through). */
function toRequestItem(item: ChannelItem) {
  return {
    barcode: item.remoteId,
    quantity: item.quantity,
    ...(item.price === undefined ? {} : { salePrice: item.price, listPrice: item.price }),
  };
}
