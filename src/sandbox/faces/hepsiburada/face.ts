/**
 * The sandbox's Hepsiburada: a merchant's listings (by merchantSku) on the listing host, stock uploads processed
 * asynchronously in acceptance order, at most 5 pending per merchant, and the listing read reconciliation uses. What
 * the docs leave open is chosen as specs/hepsiburada.md records it (routes in routes.ts).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { MarketplaceTunables } from '../../marketplace-state';
import { type Job, JobQueue, MarketplaceFace, type RequestBudget } from '../face';
import { hepsiburadaRoutes } from './routes';

/** What the face accepts: the merchant GUID (the docs' example), its 12-character service key, the integrator. */
export const HEPSIBURADA_SANDBOX_CREDENTIALS = {
  merchantId: 'b2910839-83b9-4d45-adb6-86bad457edcb',
  serviceKey: 'SbxHbKey2026',
  integratorName: 'stockflow_sandbox',
} as const;

/** The guide's listing-update rules. */
export const MAX_ITEMS_PER_UPLOAD = 4_000;
export const MAX_PENDING_UPLOADS = 5;
/** `merchantSkuList` of the listing read. */
export const MAX_SKUS_PER_READ = 50;
/** Undocumented; the sandbox's ceiling, past it an item fails with InvalidAvailableStock. */
export const MAX_AVAILABLE_STOCK = 1_000_000;
/** About 240 requests a minute per merchant (the listing host's one published figure), per operation. */
export const LISTING_BUDGET: RequestBudget = { perSecond: 4, burst: 240 };

export interface UploadItem {
  elementNo: number;
  merchantSku?: string;
  hepsiburadaSku?: string;
  availableStock: number;
}

export interface UploadError {
  elementNo: number;
  hepsiburadaSku: string | null;
  merchantSku: string | null;
  errors: string[];
}

export interface UploadResult {
  status: 'COMPLETED' | 'COMPLETED_WITH_ERRORS' | 'FAILED';
  errors: UploadError[];
}

export type Upload = Job<UploadItem[], UploadResult>;

/** Hepsiburada's own code for a listing of ours (14 characters, like `HBCV00001XXXXX`); stable per merchantSku. */
export function hepsiburadaSkuOf(merchantSku: string): string {
  return `HBCV${createHash('sha1').update(merchantSku).digest('hex').slice(0, 10).toUpperCase()}`;
}

export class HepsiburadaFace extends MarketplaceFace {
  readonly adapter = 'hepsiburada';
  readonly hasWarehouses = false;
  private readonly uploads = new JobQueue<UploadItem[], UploadResult>();
  /** Merchant SKUs in listing order, for paging through every listing (the base keeps an unordered set). */
  private catalogue: string[] = [];

  routes(tunables: () => MarketplaceTunables): FastifyPluginAsync {
    return hepsiburadaRoutes(this, tunables);
  }

  override list(remoteIds: Iterable<string>): void {
    const ids = [...remoteIds];
    super.list(ids);
    const known = new Set(this.catalogue);
    // One by one: spreading a million ids into push() overflows the call stack (a 1,000,000-stock bench seeds that).
    for (const id of ids) if (!known.has(id)) this.catalogue.push(id);
  }

  override reset(): void {
    super.reset();
    this.uploads.clear();
    this.catalogue = [];
  }

  override settle(now = Date.now()): void {
    this.counters.jobsCompleted += this.uploads.settle((job) => this.process(job), now);
  }

  /** 0 when the operation may proceed, else the ms until the merchant's budget has a request again. */
  throttle(operation: string, now = Date.now()): number {
    return this.takeBudget(operation, LISTING_BUDGET, now);
  }

  /** Accepts an upload, or answers 'busy' when the merchant already has the most pending ones. */
  accept(items: UploadItem[], delayMs: number, now = Date.now()): { id: string } | 'busy' {
    this.settle(now);
    if (this.uploads.open >= MAX_PENDING_UPLOADS) return 'busy';
    const job = this.uploads.accept(randomUUID(), items, delayMs, now);
    this.counters.sendsAccepted++;
    return { id: job.id };
  }

  /** StockUploadResultRepresentation of an upload (PROCESSING until done); undefined for an unknown id. */
  upload(id: string, now = Date.now()) {
    this.settle(now);
    const job = this.uploads.get(id);
    if (!job) return undefined;
    return {
      id: job.id,
      status: job.result?.status ?? 'PROCESSING',
      createdAt: new Date(job.acceptedAt).toISOString(),
      total: job.payload.length,
      errors: job.result?.errors ?? [],
    };
  }

  /** Listed SKUs among `merchantSkus` (every listed SKU without a filter), in listing order. */
  listings(merchantSkus: readonly string[] | undefined): string[] {
    this.settle();
    const wanted = merchantSkus && new Set(merchantSkus);
    return this.catalogue.filter((sku) => this.isListed(sku) && (!wanted || wanted.has(sku)));
  }

  /**
   * Checks every item at processing time (the listing may have gone meanwhile): unknown SKU, a SKU twice in one
   * upload (every occurrence fails, none applies), a stock out of range. The rest is applied at once.
   */
  private process(job: Upload): UploadResult {
    const counts = new Map<string, number>();
    for (const item of job.payload) {
      if (item.merchantSku) counts.set(item.merchantSku, (counts.get(item.merchantSku) ?? 0) + 1);
    }
    const errors: UploadError[] = [];
    const applied: { remoteId: string; quantity: number }[] = [];
    for (const item of job.payload) {
      const problem = this.problemOf(item, counts);
      if (problem) {
        errors.push({
          elementNo: item.elementNo,
          hepsiburadaSku: item.hepsiburadaSku ?? null,
          merchantSku: item.merchantSku ?? null,
          errors: [problem],
        });
      } else applied.push({ remoteId: item.merchantSku!, quantity: item.availableStock });
    }
    if (applied.length > 0) this.applyQuantities(applied);
    this.counters.itemFailures += errors.length;
    const status = errors.length === 0 ? 'COMPLETED' : applied.length === 0 ? 'FAILED' : 'COMPLETED_WITH_ERRORS';
    return { status, errors };
  }

  private problemOf(item: UploadItem, counts: ReadonlyMap<string, number>): string | undefined {
    const sku = item.merchantSku;
    if (!sku || !this.isListed(sku)) return 'ProductNotFound';
    if (item.hepsiburadaSku !== undefined && item.hepsiburadaSku !== hepsiburadaSkuOf(sku)) {
      return 'MismatchingSkusSpecified';
    }
    if ((counts.get(sku) ?? 0) > 1) return 'DuplicateMerchantSkuSpecified';
    if (item.availableStock < 0 || item.availableStock > MAX_AVAILABLE_STOCK) return 'InvalidAvailableStock';
    return undefined;
  }
}
