/**
 * Trendyol: asynchronous. `price-and-inventory` accepts up to 1,000 items and answers a batchRequestId; the batch
 * result lists every request item with its status and failure reasons, kept 4 hours by Trendyol. For stock/price
 * batches Trendyol returns no batch-level status ("item bazlı status alanlarını kontrol etmeniz gerekmektedir"), so
 * completion is judged by the items.
 */
import { z } from 'zod';
import { createHttpClient } from '../../http/client';
import { HttpError, RateLimitedError, parseResponse } from '../../http/errors';
import { BaseChannelAdapter, callJson } from '../base';
import { type AdapterOptions, commonChannelFields } from '../config';
import type { BatchCheck, ChannelItem, ChannelLimits, HeldQuantity, ItemResult, SendOutcome } from '../port';

export const TRENDYOL_DEFAULT_LIMITS: ChannelLimits = {
  itemsPerRequest: 1_000,
  // Trendyol allows 50 requests to one endpoint per 10 s (then 429); 4/s keeps headroom for the seller's other tools.
  requestsPerSecond: 4,
  maxQuantity: 20_000,
  // The approved-products V2 inventory filter takes at most 50 barcodes a request.
  readItemsPerRequest: 50,
};

export const trendyolConfig = z
  .object({
    adapter: z.literal('trendyol'),
    sellerId: z.string().regex(/^\d+$/, 'expected the numeric Trendyol seller id'),
    apiKey: z.string().min(1),
    apiSecret: z.string().min(1),
    /**
     * Goes into the mandatory User-Agent "<sellerId> - <integratorName>" (Trendyol answers 403 without it):
     * alphanumeric, at most 30 characters ("SelfIntegration" when the seller runs its own software).
     */
    integratorName: z.string().regex(/^[A-Za-z0-9]{1,30}$/, 'expected 1-30 letters or digits'),
    /** How long Trendyol refuses a repeated body (15 min); a refused send is retried once it has passed. */
    repeatWindowMs: z.number().int().positive().optional(),
    ...commonChannelFields,
  })
  .strict();

/**
 * Trendyol's documented words for a repeated body. Its status and body shape are undocumented (most plausibly a 400
 * `errors[].message`), so the text is looked for in any non-2xx answer, never a key.
 */
const REPEATED_REQUEST_TEXT = '15 dakika boyunca aynı isteği tekrarlı olarak atamazsınız';
const TRENDYOL_REPEAT_WINDOW_MS = 15 * 60_000;

const submitted = z.object({ batchRequestId: z.string().min(1) });

/**
 * The documented BatchRequestResult, read tolerantly: stock batches carry no top-level status, requestItem is flat
 * ({barcode, quantity, salePrice, listPrice, updateRequestDate}); only what the verdict needs is required.
 */
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
    .nullish(),
});

/**
 * `GET .../products/approved/inventory-and-price?barcodes=`: approved products with their variants' quantities (the V2
 * product filter; V1's `products?barcode=` is retired). Only what reconciliation reads is required.
 */
const inventoryAndPrice = z.object({
  content: z
    .array(
      z.object({
        variants: z.array(z.object({ barcode: z.string(), quantity: z.number().int().nullish() })).nullish(),
      }),
    )
    .nullish(),
});

const FINAL_ITEM_STATUSES = new Set(['SUCCESS', 'FAILED']);

export class TrendyolAdapter extends BaseChannelAdapter {
  private readonly http;
  private readonly sellerPath: string;
  private readonly repeatWindowMs: number;

  constructor(options: AdapterOptions<typeof trendyolConfig>) {
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
      if (err instanceof HttpError && err.status !== undefined && isRepeatRefusal(err.serverMessage)) {
        throw new RateLimitedError(err, this.repeatWindowMs);
      }
      throw err;
    });
    const { batchRequestId } = parseResponse(submitted, data, 'trendyol price-and-inventory');
    return { mode: 'async', remoteBatchId: batchRequestId, rejected: refused, exchanges: [exchange] };
  }

  /** Held quantities by barcode (an unknown barcode: null — not listed, or not approved). */
  async readQuantities(items: readonly Pick<ChannelItem, 'remoteId'>[]): Promise<HeldQuantity[]> {
    this.refuseOverLimit(items.length, 'read');
    if (items.length === 0) return [];
    const size = this.descriptor.limits.readItemsPerRequest;
    const { data } = await callJson(this.http, {
      method: 'GET',
      path:
        `integration/product/sellers/${this.sellerPath}/products/approved/inventory-and-price?size=${size}` +
        `&barcodes=${items.map((i) => encodeURIComponent(i.remoteId)).join(',')}`,
      what: 'trendyol inventory-and-price',
    });
    const held = new Map<string, number>();
    for (const product of parseResponse(inventoryAndPrice, data, 'trendyol inventory-and-price').content ?? []) {
      for (const variant of product.variants ?? []) held.set(variant.barcode, variant.quantity ?? 0);
    }
    return items.map((i) => ({ remoteId: i.remoteId, quantity: held.get(i.remoteId) ?? null }));
  }

  /**
   * What Trendyol answers for a batch id it no longer keeps is undocumented; a 404 is read as exactly that (the
   * batch can never be finished), anything else non-2xx is thrown as usual.
   */
  async checkBatch(remoteBatchId: string): Promise<BatchCheck> {
    const { data, exchange } = await callJson(this.http, {
      method: 'GET',
      path: `integration/product/sellers/${this.sellerPath}/products/batch-requests/${encodeURIComponent(remoteBatchId)}`,
      what: 'trendyol batch-requests',
      answered: [404],
    });
    if (exchange.status === 404) {
      const reason =
        `Trendyol no longer knows batch ${remoteBatchId} (404): it keeps batch results for 4 hours, ` +
        'so the items of this batch can never be confirmed';
      return { state: 'expired', reason, exchanges: [exchange] };
    }
    const batch = parseResponse(batchResult, data, 'trendyol batch-requests');
    const items = batch.items ?? [];
    const inProgress = items.some((i) => i.status === 'IN_PROGRESS');
    const itemsFinal = items.length > 0 && items.every((i) => FINAL_ITEM_STATUSES.has(i.status));
    if (inProgress || (!itemsFinal && batch.status !== 'COMPLETED')) return { state: 'pending', exchanges: [exchange] };
    const results = items.map((item): ItemResult => {
      if (item.status === 'SUCCESS') return { remoteId: item.requestItem.barcode, status: 'success' };
      const reasons = item.failureReasons?.join('; ');
      return { remoteId: item.requestItem.barcode, status: 'failed', message: reasons || `item status ${item.status}` };
    });
    return { state: 'done', results, exchanges: [exchange] };
  }
}

/** Matches the text whether the body carried it literally or JSON-escaped (`\u0131`), and in any Unicode form. */
function isRepeatRefusal(serverMessage: string | undefined): boolean {
  if (!serverMessage) return false;
  const text = serverMessage.replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
  return text.normalize('NFC').includes(REPEATED_REQUEST_TEXT);
}

/**
 * Trendyol requires only `barcode`; `quantity` is what we set. Omnitron gives one price; Trendyol refuses a listPrice
 * below salePrice, so both carry it (no strike-through).
 */
function toRequestItem(item: ChannelItem) {
  return {
    barcode: item.remoteId,
    quantity: item.quantity,
    ...(item.price === undefined ? {} : { salePrice: item.price, listPrice: item.price }),
  };
}
