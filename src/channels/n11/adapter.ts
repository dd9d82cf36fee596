/**
 * N11: asynchronous, over the REST "ms" product services (the SOAP stock calls were closed on 1 June 2024).
 * `price-stock-update` takes up to 1,000 skus under one integrator name and answers a task id (IN_QUEUE), or refuses
 * the body as a whole (REJECT, with reasons; nothing taken in). The task's details list every sku by the stockCode
 * sent (`itemCode`) with SUCCESS/FAIL and reasons, paged Spring-style. Integrators have seen status strings in mixed
 * case ("Fail") and with leading blanks, so every status is read trimmed and upper-cased.
 */
import { z } from 'zod';
import { createHttpClient } from '../../http/client';
import { parseResponse, ResponseValidationError } from '../../http/errors';
import { BaseChannelAdapter, callJson, failedResult } from '../base';
import { type AdapterOptions, commonChannelFields } from '../config';
import type {
  BatchCheck,
  ChannelExchange,
  ChannelItem,
  ChannelLimits,
  HeldQuantity,
  ItemResult,
  SendOutcome,
} from '../port';

export const N11_DEFAULT_LIMITS: ChannelLimits = {
  // "Tek seferde maximum 1000 sku için güncelleme atabilirsiniz."
  itemsPerRequest: 1_000,
  // No quota is published for the product services; the order service's is 1,000 a minute. 5/s stays at a third of
  // that, leaving the seller's order polling and other tools their share.
  requestsPerSecond: 5,
  // "Maksimum değer 999.999" (quantity, in the product fields table).
  maxQuantity: 999_999,
  // product-query filters by ONE stockCode: a read of k items is k queries, so one item keeps a read one request.
  readItemsPerRequest: 1,
};

export const n11Config = z
  .object({
    adapter: z.literal('n11'),
    /** Sent as the `appkey` and `appsecret` headers (Satıcı Ofisi > Hesabım > Api Hesapları); no token exchange. */
    appKey: z.string().min(1),
    appSecret: z.string().min(1),
    /** `payload.integrator`: "Tüm gönderimlerinizde aynı ismi iletiniz", so one name for every send. */
    integrator: z.string().min(1).default('stockflow'),
    ...commonChannelFields,
  })
  .strict();

/** A whole task's skus fit one page of this size (the send limit); smaller pages from n11 are followed. */
const TASK_PAGE_SIZE = 1_000;
/** product-query's documented maximum page size. */
const PRODUCT_PAGE_SIZE = 250;

/** `{id, type: "SKU_UPDATE", status, reasons}`; a REJECT may come without an id. */
const taskAnswer = z.object({
  id: z.union([z.number().int(), z.string().min(1)]).nullish(),
  status: z.string(),
  reasons: z.array(z.string()).nullish(),
});

const taskDetails = z.object({
  status: z.string(),
  skus: z
    .object({
      content: z
        .array(z.object({ itemCode: z.string(), status: z.string(), reasons: z.array(z.string()).nullish() }))
        .nullish(),
      totalPages: z.number().int().nullish(),
    })
    .nullish(),
});
type TaskRow = NonNullable<NonNullable<z.infer<typeof taskDetails>['skus']>['content']>[number];

/** One SKU a row; only what reconciliation reads is required. */
const productPage = z.object({
  content: z.array(z.object({ stockCode: z.string(), quantity: z.number().int().nullish() })).nullish(),
});

/** IN_QUEUE and statuses n11 has not documented keep a task pending; these end it. */
const FINAL_TASK_STATUSES = new Set(['PROCESSED', 'REJECT']);

export class N11Adapter extends BaseChannelAdapter {
  private readonly http;
  private readonly integrator: string;

  constructor(options: AdapterOptions<typeof n11Config>) {
    super({ name: 'n11', mode: 'async', hasWarehouses: false, limits: options.limits });
    this.http = createHttpClient({
      api: 'n11',
      baseURL: options.baseURL,
      timeoutMs: options.timeoutMs,
      headers: { appkey: options.appKey, appsecret: options.appSecret },
    });
    this.integrator = options.integrator;
  }

  /**
   * A REJECT took nothing in and left no task to poll: the body itself was refused, and sending it again would be
   * refused again, so every item fails at once with n11's reasons.
   */
  protected async send(items: readonly ChannelItem[], refused: ItemResult[]): Promise<SendOutcome> {
    const what = 'n11 price-stock-update';
    const { data, exchange } = await callJson(this.http, {
      method: 'POST',
      path: 'ms/product/tasks/price-stock-update',
      body: { payload: { integrator: this.integrator, skus: items.map(toSku) } },
      what,
    });
    const task = parseResponse(taskAnswer, data, what);
    if (normalized(task.status) === 'REJECT') {
      const reason = `n11 rejected the update: ${task.reasons?.join('; ') || 'no reason given'}`;
      return {
        mode: 'sync',
        results: [...refused, ...items.map((i) => failedResult(i, reason))],
        exchanges: [exchange],
      };
    }
    if (task.id === undefined || task.id === null) {
      throw new ResponseValidationError(what, [{ path: 'id', message: `no task id with status "${task.status}"` }]);
    }
    return { mode: 'async', remoteBatchId: String(task.id), rejected: refused, exchanges: [exchange] };
  }

  /** Held quantities by stockCode, one query each (an unknown stockCode: null, no such product row). */
  async readQuantities(items: readonly Pick<ChannelItem, 'remoteId'>[]): Promise<HeldQuantity[]> {
    this.refuseOverLimit(items.length, 'read');
    const held: HeldQuantity[] = [];
    for (const { remoteId } of items) {
      const { data } = await callJson(this.http, {
        method: 'GET',
        path: `ms/product-query?stockCode=${encodeURIComponent(remoteId)}&page=0&size=${PRODUCT_PAGE_SIZE}`,
        what: 'n11 product-query',
      });
      // The filter is not promised to be exact: only the row of this very stockCode counts.
      const row = parseResponse(productPage, data, 'n11 product-query').content?.find((r) => r.stockCode === remoteId);
      held.push({ remoteId, quantity: row ? (row.quantity ?? 0) : null });
    }
    return held;
  }

  /**
   * How long n11 keeps a task, and what it answers for one it no longer knows, are undocumented; a 404 is read as
   * exactly that (the batch can never be finished), anything else non-2xx is thrown as usual.
   */
  async checkBatch(remoteBatchId: string): Promise<BatchCheck> {
    const what = 'n11 task-details';
    // Task ids are numbers on the wire; an id n11 gave as text goes back as text.
    const taskId = /^\d+$/.test(remoteBatchId) ? Number(remoteBatchId) : remoteBatchId;
    const exchanges: ChannelExchange[] = [];
    const rows: TaskRow[] = [];
    let status = '';
    for (let page = 0; ; page++) {
      const { data, exchange } = await callJson(this.http, {
        method: 'POST',
        path: 'ms/product/task-details/page-query',
        body: { taskId, pageable: { page, size: TASK_PAGE_SIZE } },
        what,
        answered: [404],
      });
      exchanges.push(exchange);
      if (exchange.status === 404) {
        const reason = `n11 no longer knows task ${remoteBatchId} (404), so its items can never be confirmed`;
        return { state: 'expired', reason, exchanges };
      }
      const details = parseResponse(taskDetails, data, what);
      status = normalized(details.status);
      if (!FINAL_TASK_STATUSES.has(status)) return { state: 'pending', exchanges };
      const content = details.skus?.content ?? [];
      rows.push(...content);
      if (content.length === 0 || page + 1 >= (details.skus?.totalPages ?? 1)) break;
    }
    const rejected = status === 'REJECT';
    const results = rows.map((row): ItemResult => {
      const reasons = row.reasons?.join('; ');
      if (rejected) {
        return {
          remoteId: row.itemCode,
          status: 'failed',
          message: `n11 rejected the task: ${reasons || 'no reason'}`,
        };
      }
      if (normalized(row.status) === 'SUCCESS') return { remoteId: row.itemCode, status: 'success' };
      return { remoteId: row.itemCode, status: 'failed', message: reasons || `item status ${row.status.trim()}` };
    });
    return { state: 'done', results, exchanges };
  }
}

function normalized(status: string): string {
  return status.trim().toUpperCase();
}

/**
 * A stock-only update sends `stockCode` + `quantity` ("İstekte mevcut olmayan alanlar için herhangi bir update
 * yapılmayacaktır"). Omnitron gives one price: n11 wants listPrice and salePrice together with two decimals and
 * allows them equal, so both carry it rounded (no strike-through); currencyType is left as the product has it.
 */
function toSku(item: ChannelItem) {
  const price = item.price === undefined ? undefined : Math.round(item.price * 100) / 100;
  return {
    stockCode: item.remoteId,
    quantity: item.quantity,
    ...(price === undefined ? {} : { listPrice: price, salePrice: price }),
  };
}
