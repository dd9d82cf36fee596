/**
 * Hepsiburada: asynchronous. `stock-uploads` takes a bare array of `{merchantSku, availableStock}` and answers an
 * upload id; the upload's status read names only the items that failed (`errors[{elementNo, merchantSku, errors}]`),
 * so every other item of a finished upload succeeded (BatchCheck `unnamed`). The status is a free string (`Done`,
 * `Failed` in the guide; `PROCESSING`, `COMPLETED`, `COMPLETED_WITH_ERRORS`, `FAILED` seen from clients): anything not
 * known to be final is still pending, never success. Auth is HTTP Basic with the merchant id and the merchant's
 * service key; the mandatory User-Agent names the integrator (developers.hepsiburada.com, changelog January 2024).
 */
import { z } from 'zod';
import { createHttpClient } from '../../http/client';
import { HttpError, RateLimitedError, parseResponse } from '../../http/errors';
import { BaseChannelAdapter, callJson } from '../base';
import { type AdapterOptions, commonChannelFields } from '../config';
import type { BatchCheck, ChannelItem, ChannelLimits, HeldQuantity, ItemResult, SendOutcome } from '../port';

export const HEPSIBURADA_DEFAULT_LIMITS: ChannelLimits = {
  // The guide allows 4,000 listings an upload; 1,000 keeps an upload short and a failed one small.
  itemsPerRequest: 1_000,
  // The listing host's one published budget: about 240 requests a minute per merchant, then 429.
  requestsPerSecond: 4,
  // Undocumented (availableStock is an int32); a ceiling no real stock reaches, which the sandbox enforces.
  maxQuantity: 1_000_000,
  // `merchantSkuList` of the listing read takes at most 50 SKUs.
  readItemsPerRequest: 50,
};

export const hepsiburadaConfig = z
  .object({
    adapter: z.literal('hepsiburada'),
    /** The merchant's GUID: the path's `merchantid` and the Basic auth username. */
    merchantId: z.string().regex(/^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$/, 'expected the merchant GUID'),
    /** The "Servis Anahtarı" the merchant entered for its integrator: the Basic auth password (12 letters or digits). */
    serviceKey: z.string().regex(/^[A-Za-z0-9]{12}$/, 'expected the 12-character service key'),
    /** The integrator's Hepsiburada username, sent as the mandatory User-Agent. */
    integratorName: z.string().regex(/^[!-~]{1,100}$/, 'expected 1-100 visible ASCII characters, no spaces'),
    /** How long to wait when Hepsiburada refuses an upload because 5 are still pending (undocumented; 5 s). */
    busyRetryMs: z.number().int().positive().optional(),
    ...commonChannelFields,
  })
  .strict();

/** The guide's words when a merchant already has the most pending uploads it may (5); its status is undocumented. */
const TOO_MANY_UPLOADS_TEXT = 'too many ongoing/waiting inventory uploads';
const BUSY_RETRY_MS = 5_000;

const submitted = z.object({ id: z.string().min(1) });

/** StockUploadResultRepresentation, read tolerantly: only the status and the failed items are required. */
const uploadResult = z.object({
  status: z.string().nullish(),
  errors: z
    .array(
      z.object({
        elementNo: z.number().int().nullish(),
        merchantSku: z.string().nullish(),
        errors: z.array(z.string()).nullish(),
      }),
    )
    .nullish(),
});

/** ExternalListingsRepresentation: `listings` may be null; only the SKU and its stock matter here. */
const listingsPage = z.object({
  listings: z
    .array(z.object({ merchantSku: z.string().nullish(), availableStock: z.number().int().nullish() }))
    .nullish(),
});

/** Final statuses, compared upper-case without separators (`Done`, `COMPLETED_WITH_ERRORS`, ...). */
const APPLIED_STATUSES = new Set(['DONE', 'COMPLETED', 'COMPLETEDWITHERRORS']);
const FAILED_STATUSES = new Set(['FAILED']);

export class HepsiburadaAdapter extends BaseChannelAdapter {
  private readonly http;
  private readonly listingsPath: string;
  private readonly busyRetryMs: number;

  constructor(options: AdapterOptions<typeof hepsiburadaConfig>) {
    super({ name: 'hepsiburada', mode: 'async', hasWarehouses: false, limits: options.limits });
    const basic = Buffer.from(`${options.merchantId}:${options.serviceKey}`).toString('base64');
    this.http = createHttpClient({
      api: 'hepsiburada',
      baseURL: options.baseURL,
      timeoutMs: options.timeoutMs,
      headers: { Authorization: `Basic ${basic}`, 'User-Agent': options.integratorName },
    });
    this.listingsPath = `listings/merchantid/${encodeURIComponent(options.merchantId)}`;
    this.busyRetryMs = options.busyRetryMs ?? BUSY_RETRY_MS;
  }

  /**
   * Only the documented stock fields go out (`merchantSku` alone identifies a listing; sending `hepsiburadaSku` too
   * risks MismatchingSkusSpecified). A refusal because 5 uploads are pending took nothing in: it is retried later,
   * whatever status it came with.
   */
  protected async send(items: readonly ChannelItem[], refused: ItemResult[]): Promise<SendOutcome> {
    const { data, exchange } = await callJson(this.http, {
      method: 'POST',
      path: `${this.listingsPath}/stock-uploads`,
      body: items.map((item) => ({ merchantSku: item.remoteId, availableStock: item.quantity })),
      what: 'hepsiburada stock-uploads',
    }).catch((err: unknown) => {
      if (err instanceof HttpError && err.serverMessage?.toLowerCase().includes(TOO_MANY_UPLOADS_TEXT)) {
        throw new RateLimitedError(err, this.busyRetryMs);
      }
      throw err;
    });
    const { id } = parseResponse(submitted, data, 'hepsiburada stock-uploads');
    return { mode: 'async', remoteBatchId: id, rejected: refused, exchanges: [exchange] };
  }

  /** Held stock by merchant SKU; a SKU Hepsiburada has no listing for is simply absent from the page: null. */
  async readQuantities(items: readonly Pick<ChannelItem, 'remoteId'>[]): Promise<HeldQuantity[]> {
    this.refuseOverLimit(items.length, 'read');
    if (items.length === 0) return [];
    const skus = items.map((i) => encodeURIComponent(i.remoteId)).join(',');
    const { data } = await callJson(this.http, {
      method: 'GET',
      path: `${this.listingsPath}?offset=0&limit=${items.length}&merchantSkuList=${skus}`,
      what: 'hepsiburada listings',
    });
    const held = new Map<string, number>();
    for (const listing of parseResponse(listingsPage, data, 'hepsiburada listings').listings ?? []) {
      if (listing.merchantSku) held.set(listing.merchantSku, listing.availableStock ?? 0);
    }
    return items.map((i) => ({ remoteId: i.remoteId, quantity: held.get(i.remoteId) ?? null }));
  }

  /**
   * How long Hepsiburada keeps an upload's result is undocumented; a 404 for an id it accepted is read as forgotten
   * (the batch can never be confirmed). A failure not attributed to a SKU makes every unnamed item failed: which one
   * failed is unknown, and claiming the others succeeded could hide it.
   */
  async checkBatch(remoteBatchId: string): Promise<BatchCheck> {
    const { data, exchange } = await callJson(this.http, {
      method: 'GET',
      path: `${this.listingsPath}/stock-uploads/id/${encodeURIComponent(remoteBatchId)}`,
      what: 'hepsiburada stock-upload status',
      answered: [404],
    });
    if (exchange.status === 404) {
      const reason = `Hepsiburada no longer knows stock upload ${remoteBatchId} (404): its items can never be confirmed`;
      return { state: 'expired', reason, exchanges: [exchange] };
    }
    const upload = parseResponse(uploadResult, data, 'hepsiburada stock-upload status');
    const status = (upload.status ?? '').toUpperCase().replace(/[^A-Z]/g, '');
    const failedWhole = FAILED_STATUSES.has(status);
    if (!failedWhole && !APPLIED_STATUSES.has(status)) return { state: 'pending', exchanges: [exchange] };

    const reasons = new Map<string, string[]>();
    const unattributed: string[] = [];
    for (const error of upload.errors ?? []) {
      const why = error.errors?.length ? error.errors : [`element ${error.elementNo ?? '?'} failed`];
      if (error.merchantSku) reasons.set(error.merchantSku, [...(reasons.get(error.merchantSku) ?? []), ...why]);
      else unattributed.push(`element ${error.elementNo ?? '?'}: ${why.join(', ')}`);
    }
    const results = [...reasons].map(([remoteId, why]): ItemResult => ({
      remoteId,
      status: 'failed',
      message: why.join('; '),
    }));
    const unnamed: Pick<ItemResult, 'status' | 'message'> = failedWhole
      ? { status: 'failed', message: `Hepsiburada stock upload ${remoteBatchId} ended ${upload.status ?? ''}` }
      : unattributed.length > 0
        ? { status: 'failed', message: `Hepsiburada named no SKU for failures (${unattributed.join('; ')})` }
        : { status: 'success' };
    return { state: 'done', results, unnamed, exchanges: [exchange] };
  }
}
