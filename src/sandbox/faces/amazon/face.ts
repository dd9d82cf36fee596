/**
 * The sandbox's Amazon: one seller in one marketplace behind the Selling Partner API, with its Login with Amazon
 * token endpoint and the presigned document store (S3 in production) under the same `/amazon/` prefix. Feeds are
 * jobs processed in acceptance order after the sandbox's batch delay; their reports are feed documents like the
 * uploads. Budgets are the documented usage plans (token buckets); see routes.ts for the HTTP surface.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { MarketplaceTunables } from '../../marketplace-state';
import { IssuedTokens, JobQueue, MarketplaceFace } from '../face';
import { AMAZON_BUDGETS, AMAZON_SANDBOX_CREDENTIALS, type AmazonOperation } from './plan';
import { processFeed } from './processing';
import { amazonRoutes } from './routes';

export { AMAZON_SANDBOX_CREDENTIALS } from './plan';

/** Presigned URLs expire after 5 minutes; feeds are kept 90 days; a feedDocumentId is good for two days. */
const URL_LIFETIME_MS = 5 * 60_000;
const FEED_RETENTION_MS = 90 * 24 * 3_600_000;
const DOCUMENT_LIFETIME_MS = 2 * 24 * 3_600_000;

export interface FeedDocumentRecord {
  id: string;
  contentType: string;
  createdAt: number;
  /** The current presigned URL's signature and expiry (one URL per createFeedDocument / getFeedDocument). */
  signature: string;
  urlExpiresAt: number;
  content?: string;
  /** Reports are served gzip-compressed (`compressionAlgorithm: GZIP`). */
  gzip: boolean;
}

interface FeedPayload {
  inputFeedDocumentId: string;
  marketplaceIds: string[];
}

interface FeedOutcome {
  status: 'DONE' | 'FATAL';
  resultFeedDocumentId?: string;
}

export class AmazonFace extends MarketplaceFace {
  readonly adapter = 'amazon';
  readonly hasWarehouses = false;
  /** Lifetime of an issued access token (LWA: one hour); tests shorten it to see a refresh. */
  tokenLifetimeSeconds = 3_600;
  /** The LWA access tokens issued (`tokens.issued` counts the exchanges answered). */
  readonly tokens = new IssuedTokens();
  private readonly documents = new Map<string, FeedDocumentRecord>();
  private readonly feeds = new JobQueue<FeedPayload, FeedOutcome>();
  private nextFeedId = 70_001;

  routes(tunables: () => MarketplaceTunables): FastifyPluginAsync {
    return amazonRoutes(this, tunables);
  }

  override reset(): void {
    super.reset();
    this.tokenLifetimeSeconds = 3_600;
    this.tokens.clear();
    this.documents.clear();
    this.feeds.clear();
  }

  /** 0 when the operation may proceed, else the wait (ms) until its bucket holds a token. */
  spend(operation: AmazonOperation, now = Date.now()): number {
    return this.takeBudget(operation, AMAZON_BUDGETS[operation], now);
  }

  /** The rate in force for an operation, as `x-amzn-RateLimit-Limit` reports it. */
  rateOf(operation: AmazonOperation): number {
    return AMAZON_BUDGETS[operation].perSecond * this.budgetScale;
  }

  issueToken(now = Date.now()): { access_token: string; token_type: 'bearer'; expires_in: number } {
    const token = this.tokens.issue('Atza|', this.tokenLifetimeSeconds * 1000, [], now);
    return { access_token: token, token_type: 'bearer', expires_in: this.tokenLifetimeSeconds };
  }

  createDocument(contentType: string, now = Date.now()): FeedDocumentRecord {
    const record: FeedDocumentRecord = {
      id: `amzn1.tortuga.4.eu.${randomUUID()}`,
      contentType,
      createdAt: now,
      signature: '',
      urlExpiresAt: 0,
      gzip: false,
    };
    this.documents.set(record.id, record);
    return this.presign(record, now);
  }

  /** A new presigned URL for the document (what getFeedDocument hands out on every call). */
  presign(record: FeedDocumentRecord, now = Date.now()): FeedDocumentRecord {
    record.signature = randomBytes(16).toString('hex');
    record.urlExpiresAt = now + URL_LIFETIME_MS;
    return record;
  }

  document(id: string, now = Date.now()): FeedDocumentRecord | undefined {
    const record = this.documents.get(id);
    return record && now < record.createdAt + DOCUMENT_LIFETIME_MS ? record : undefined;
  }

  createFeed(payload: FeedPayload, delayMs: number, now = Date.now()): string {
    const feedId = String(this.nextFeedId++);
    this.feeds.accept(feedId, payload, delayMs, now);
    this.counters.sendsAccepted++;
    return feedId;
  }

  /** The feed as getFeed shows it; undefined when unknown or past the 90-day retention. */
  feed(feedId: string, now = Date.now()): object | undefined {
    this.settle(now);
    const job = this.feeds.get(feedId, FEED_RETENTION_MS, now);
    if (!job) return undefined;
    const iso = (at: number) => new Date(at).toISOString();
    const startedAt = job.acceptedAt + (job.dueAt - job.acceptedAt) / 2;
    const base = {
      feedId,
      feedType: 'JSON_LISTINGS_FEED',
      marketplaceIds: job.payload.marketplaceIds,
      createdTime: iso(job.acceptedAt),
    };
    if (job.result) {
      return {
        ...base,
        processingStatus: job.result.status,
        processingStartTime: iso(startedAt),
        processingEndTime: iso(job.completedAt ?? now),
        ...(job.result.resultFeedDocumentId ? { resultFeedDocumentId: job.result.resultFeedDocumentId } : {}),
      };
    }
    // Waiting for the feeds before it for the first half of the delay, processing for the second.
    if (now < startedAt) return { ...base, processingStatus: 'IN_QUEUE' };
    return { ...base, processingStatus: 'IN_PROGRESS', processingStartTime: iso(startedAt) };
  }

  override settle(now = Date.now()): void {
    this.counters.jobsCompleted += this.feeds.settle((job) => this.process(job.id, job.payload, now), now);
  }

  /** A feed whose document was never uploaded ends FATAL without a report; any other gets one. */
  private process(feedId: string, payload: FeedPayload, now: number): FeedOutcome {
    const content = this.documents.get(payload.inputFeedDocumentId)?.content;
    if (content === undefined) return { status: 'FATAL' };
    const { sellerId, marketplaceId } = AMAZON_SANDBOX_CREDENTIALS;
    const outcome = processFeed(feedId, content, { sellerId, marketplaceId, isListed: (sku) => this.isListed(sku) });
    if (outcome.applied.length > 0) this.applyQuantities(outcome.applied);
    this.counters.itemFailures += outcome.invalid;
    const report = this.createDocument('application/json; charset=UTF-8', now);
    report.content = JSON.stringify(outcome.report);
    report.gzip = true;
    return { status: outcome.status, resultFeedDocumentId: report.id };
  }
}
