/**
 * Amazon (Selling Partner API): asynchronous, through the Feeds API. A send creates a feed document, uploads a
 * JSON_LISTINGS_FEED of PATCH messages on `/attributes/fulfillment_availability` to its presigned URL and creates the
 * feed; the feed id is the remote batch. A check polls getFeed (IN_QUEUE, IN_PROGRESS, then DONE, FATAL or CANCELLED)
 * and, once a report exists, reads it through getFeedDocument. Held quantities come from searchListingsItems, 20
 * SKUs a call. remoteId is the seller SKU.
 */
import { z } from 'zod';
import { parseResponse } from '../../http/errors';
import { BaseChannelAdapter } from '../base';
import { type AdapterOptions, commonChannelFields, httpURL } from '../config';
import type {
  BatchCheck,
  ChannelExchange,
  ChannelItem,
  ChannelLimits,
  HeldQuantity,
  ItemResult,
  SendOutcome,
} from '../port';
import { FeedDocuments } from './documents';
import { FEED_CONTENT_TYPE, FEED_TYPE, listingsFeed, processingReport, reportVerdicts } from './feed';
import { SpApi, type SpOperation } from './sp-api';

export const AMAZON_DEFAULT_LIMITS: ChannelLimits = {
  // A JSON_LISTINGS_FEED takes up to 25,000 messages (raised from 10,000 in May 2025).
  itemsPerRequest: 25_000,
  // The Temporal queue's rate for every activity: createFeedDocument's 0.5/s, the fastest call every send makes;
  // createFeed's slower plan (1 per 120 s past a burst of 15) answers 429, a RateLimitedError with that wait.
  requestsPerSecond: 0.5,
  // The schema documents only `minimum: 0`; Amazon's integers are 32-bit (messageId's documented maximum).
  maxQuantity: 2_147_483_647,
  // searchListingsItems: at most 20 identifiers, pageSize at most 20.
  readItemsPerRequest: 20,
};

/** The LWA authorization server for every region. */
export const AMAZON_LWA_TOKEN_URL = 'https://api.amazon.com/auth/o2/token';

const rate = z.number().positive();
const rateOverrides = z
  .object({
    createFeedDocument: rate,
    createFeed: rate,
    getFeed: rate,
    getFeedDocument: rate,
    searchListingsItems: rate,
  })
  .partial()
  .strict() satisfies z.ZodType<Partial<Record<SpOperation, number>>>;

export const amazonConfig = z
  .object({
    adapter: z.literal('amazon'),
    /** The merchant token (seller id): the feed's header and the Listings Items path name it. */
    sellerId: z.string().min(1),
    /** The one marketplace the channel sells in, e.g. A33AVAJ2PDY3EV (Turkey). */
    marketplaceId: z.string().min(1),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    refreshToken: z.string().min(1),
    tokenURL: httpURL.default(AMAZON_LWA_TOKEN_URL),
    /** Amazon's own attribute-only patches name the generic product type. */
    productType: z.string().min(1).default('PRODUCT'),
    /** Overrides of the documented per-operation rates (requests per second), when the account has others. */
    operationRates: rateOverrides.optional(),
    /** baseURL: the regional SP-API endpoint, e.g. https://sellingpartnerapi-eu.amazon.com. */
    ...commonChannelFields,
  })
  .strict();

const createdDocument = z.object({ feedDocumentId: z.string().min(1), url: z.string().min(1) });
const createdFeed = z.object({ feedId: z.string().min(1) });
const feed = z.object({ processingStatus: z.string(), resultFeedDocumentId: z.string().nullish() });
const feedDocument = z.object({ url: z.string().min(1), compressionAlgorithm: z.string().nullish() });
const searchResults = z.object({
  items: z.array(
    z.object({
      sku: z.string(),
      fulfillmentAvailability: z
        .array(z.object({ fulfillmentChannelCode: z.string(), quantity: z.number().int().nullish() }))
        .nullish(),
    }),
  ),
});

const FEEDS = 'feeds/2021-06-30';

export class AmazonAdapter extends BaseChannelAdapter {
  private readonly api: SpApi;
  private readonly documents: FeedDocuments;
  private readonly sellerId: string;
  private readonly marketplaceId: string;
  private readonly productType: string;

  constructor(options: AdapterOptions<typeof amazonConfig>) {
    super({ name: 'amazon', mode: 'async', hasWarehouses: false, limits: options.limits });
    this.api = new SpApi({ ...options, rates: options.operationRates });
    this.documents = new FeedDocuments(options);
    this.sellerId = options.sellerId;
    this.marketplaceId = options.marketplaceId;
    this.productType = options.productType;
  }

  protected async send(items: readonly ChannelItem[], refused: ItemResult[]): Promise<SendOutcome> {
    const created = await this.api.call('createFeedDocument', {
      method: 'POST',
      path: `${FEEDS}/documents`,
      body: { contentType: FEED_CONTENT_TYPE },
      what: 'amazon createFeedDocument',
    });
    const document = parseResponse(createdDocument, created.data, 'amazon createFeedDocument');
    const content = JSON.stringify(listingsFeed(this.sellerId, this.productType, items));
    const uploaded = await this.documents.upload(document.url, FEED_CONTENT_TYPE, content);
    const submitted = await this.api.call('createFeed', {
      method: 'POST',
      path: `${FEEDS}/feeds`,
      body: { feedType: FEED_TYPE, marketplaceIds: [this.marketplaceId], inputFeedDocumentId: document.feedDocumentId },
      what: 'amazon createFeed',
    });
    const { feedId } = parseResponse(createdFeed, submitted.data, 'amazon createFeed');
    return {
      mode: 'async',
      remoteBatchId: feedId,
      rejected: refused,
      exchanges: [created.exchange, uploaded, submitted.exchange],
    };
  }

  /** The DEFAULT (merchant-fulfilled) quantity per SKU; a SKU Amazon does not list is absent from the answer: null. */
  async readQuantities(items: readonly Pick<ChannelItem, 'remoteId'>[]): Promise<HeldQuantity[]> {
    this.refuseOverLimit(items.length, 'read');
    if (items.length === 0) return [];
    const query = new URLSearchParams({
      marketplaceIds: this.marketplaceId,
      identifiers: items.map((i) => i.remoteId).join(','),
      identifiersType: 'SKU',
      includedData: 'fulfillmentAvailability',
      pageSize: String(this.descriptor.limits.readItemsPerRequest),
    });
    const { data } = await this.api.call('searchListingsItems', {
      method: 'GET',
      path: `listings/2021-08-01/items/${encodeURIComponent(this.sellerId)}?${query.toString()}`,
      what: 'amazon searchListingsItems',
    });
    const held = new Map<string, number>();
    for (const listing of parseResponse(searchResults, data, 'amazon searchListingsItems').items) {
      const merchant = listing.fulfillmentAvailability?.find((f) => f.fulfillmentChannelCode === 'DEFAULT');
      held.set(listing.sku, merchant?.quantity ?? 0);
    }
    return items.map((i) => ({ remoteId: i.remoteId, quantity: held.get(i.remoteId) ?? null }));
  }

  /**
   * DONE, or FATAL with a report: the report's verdicts. FATAL without a report, CANCELLED, a report with only
   * feed-level errors, or a feed Amazon no longer keeps (404 after 90 days): the feed can never be confirmed, and
   * the batch is failed so its stocks go out again (Amazon's own advice after a FATAL is to submit again).
   */
  async checkBatch(remoteBatchId: string): Promise<BatchCheck> {
    const polled = await this.api.call('getFeed', {
      method: 'GET',
      path: `${FEEDS}/feeds/${encodeURIComponent(remoteBatchId)}`,
      what: 'amazon getFeed',
      answered: [404],
    });
    const exchanges: ChannelExchange[] = [polled.exchange];
    if (polled.exchange.status === 404) {
      return { state: 'expired', reason: `Amazon no longer knows feed ${remoteBatchId} (404)`, exchanges };
    }
    const { processingStatus: status, resultFeedDocumentId } = parseResponse(feed, polled.data, 'amazon getFeed');
    if (status !== 'DONE' && status !== 'FATAL' && status !== 'CANCELLED') return { state: 'pending', exchanges };
    if (status === 'CANCELLED' || !resultFeedDocumentId) {
      const reason = `Amazon feed ${remoteBatchId} ended ${status} without a processing report`;
      return { state: 'expired', reason, exchanges };
    }
    const located = await this.api.call('getFeedDocument', {
      method: 'GET',
      path: `${FEEDS}/documents/${encodeURIComponent(resultFeedDocumentId)}`,
      what: 'amazon getFeedDocument',
    });
    exchanges.push(located.exchange);
    const document = parseResponse(feedDocument, located.data, 'amazon getFeedDocument');
    const report = await this.documents.download(document.url, document.compressionAlgorithm ?? undefined);
    exchanges.push(report.exchange);
    const { results, feedErrors } = reportVerdicts(
      parseResponse(processingReport, parseJson(report.text), 'amazon processing report'),
    );
    if (results.length === 0 && (feedErrors.length > 0 || status === 'FATAL')) {
      const why = feedErrors.length > 0 ? feedErrors.join('; ') : 'no message was processed';
      return { state: 'expired', reason: `Amazon feed ${remoteBatchId} ended ${status}: ${why}`, exchanges };
    }
    return { state: 'done', results, exchanges };
  }
}

/** Not JSON is a report of the wrong shape: the schema check names it. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
