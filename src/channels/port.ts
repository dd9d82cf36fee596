/**
 * The ChannelAdapter port: what the send and check flows need from a marketplace, and nothing else. The descriptor is
 * data (the flows read `mode` to decide between processing results at once and polling a remote batch, and `limits`
 * to size pages and pace calls), so a new marketplace is a new adapter plus a registry entry, never a new flow.
 */

export type ChannelMode = 'sync' | 'async';

export interface ChannelLimits {
  /** Most items one send may carry; the caller chunks, the adapter refuses more (LimitExceededError: a caller bug). */
  itemsPerRequest: number;
  /** Calls a second the caller should not exceed (the channel bans or throttles bursts). */
  requestsPerSecond: number;
  /** Highest quantity the channel accepts; the send flows cap every quantity at it, so more is never sent. */
  maxQuantity: number;
  /** Most items one read of held quantities may ask for (reconciliation reads one such chunk per request). */
  readItemsPerRequest: number;
}

export interface ChannelDescriptor {
  readonly name: string;
  readonly mode: ChannelMode;
  /** Whether items carry a warehouse code (extra stock lists map to channel warehouses/locations). */
  readonly hasWarehouses: boolean;
  readonly limits: ChannelLimits;
}

/**
 * Identifies one send to the channel. `sendKey` is the same for every retry of the same send (a Temporal retry of the
 * same page) and different for every other send: adapters whose marketplace takes idempotency keys (Shopify's
 * `@idempotent`) derive them from it and from the rows of each call.
 */
export interface SendContext {
  sendKey: string;
}

export interface ChannelItem {
  sku: string;
  /** The channel's id for the item: Trendyol barcode, Shopify inventory item gid. */
  remoteId: string;
  /** Absolute salable quantity. */
  quantity: number;
  /** Channel warehouse (Shopify location gid); only for channels with warehouses. */
  warehouseCode?: string;
  price?: number;
}

/**
 * One item's outcome. `remoteId` is always present (it is what the channel reports back); `sku` only when the adapter
 * knows it: an asynchronous channel's batch result names barcodes, not our skus, so check results are matched by
 * remote id.
 */
export interface ItemResult {
  remoteId: string;
  sku?: string;
  warehouseCode?: string;
  status: 'success' | 'failed';
  message?: string;
}

/**
 * One HTTP call as the caller writes it into an Omnitron error report ("METHOD-url-body" and the raw response). Built
 * from the body and URL only: headers (Basic auth, access tokens) never enter it.
 */
export interface ChannelExchange {
  method: string;
  url: string;
  requestBody: string;
  status: number;
  responseBody: string;
}

/**
 * The answer to a send. Items the adapter refused locally (what the channel could never accept) come back as failed
 * results without being sent; when nothing is left to send, even an asynchronous adapter answers `sync` with those
 * results and no exchange (there is no remote batch to wait for). `exchanges` lists every call made, in order.
 */
export type SendOutcome =
  | { mode: 'sync'; results: ItemResult[]; exchanges: ChannelExchange[] }
  | { mode: 'async'; remoteBatchId: string; rejected: ItemResult[]; exchanges: ChannelExchange[] };

/**
 * `expired`: the channel no longer knows the batch (Trendyol keeps results 4 hours); the batch can never be finished
 * and must be failed, its stocks back to Omnitron.
 */
export type BatchCheck = (
  | { state: 'pending' }
  | {
      state: 'done';
      results: ItemResult[];
      /**
       * What every sent item the results do not name came to, for a channel whose batch result names only the
       * exceptions (Hepsiburada lists just the failed items of an upload). Absent: an item without a result was not
       * sent.
       */
      unnamed?: Pick<ItemResult, 'status' | 'message'>;
    }
  | { state: 'expired'; reason: string }
) & {
  exchanges: ChannelExchange[];
};

/** What the channel holds for one item: `quantity` null when the channel has no such item (at that warehouse). */
export interface HeldQuantity {
  remoteId: string;
  quantity: number | null;
}

/**
 * Transport failures are thrown as the http/errors hierarchy (429 -> RateLimitedError with the channel's delay, 5xx
 * and timeouts retryable, other 4xx ClientRequestError); nothing is retried here, Temporal retries the activity.
 */
export interface ChannelAdapter {
  readonly descriptor: ChannelDescriptor;
  /**
   * What the channel holds for each item (at its warehouse, where the channel has them), in one request of at most
   * `limits.readItemsPerRequest` items; every item asked comes back once, in order.
   */
  readQuantities(items: readonly Pick<ChannelItem, 'remoteId' | 'warehouseCode'>[]): Promise<HeldQuantity[]>;
  sendUpdatedStocks(items: readonly ChannelItem[], context: SendContext): Promise<SendOutcome>;
  sendInsertedStocks(items: readonly ChannelItem[], context: SendContext): Promise<SendOutcome>;
  checkBatch(remoteBatchId: string): Promise<BatchCheck>;
}
