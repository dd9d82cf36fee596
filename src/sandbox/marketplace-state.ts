/**
 * What the sandbox marketplaces hold: a Trendyol-shaped seller account (async batches over barcodes) and a
 * Shopify-shaped shop (inventory levels per inventory item and location). Everything lives in Maps and is computed on
 * request, with no timers: a Trendyol batch completes when it is read after its due time, and batches complete strictly
 * in acceptance order, so a later batch is never overtaken by an earlier one.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AmazonFace } from './faces/amazon/face';
import { EbayFace } from './faces/ebay/face';
import type { Holdings, MarketplaceFace } from './faces/face';
import { HepsiburadaFace } from './faces/hepsiburada/face';
import { N11Face } from './faces/n11/face';

/** Settings changeable at run time (`PUT /control/marketplace/options`). */
export const marketplaceTunablesSchema = z.object({
  /** How long an accepted Trendyol batch stays IN_PROGRESS. */
  batchDelayMs: z.number().int().min(0).default(2_000),
  /** Trendyol rejects the same body again within this window (15 min in production). */
  repeatWindowMs: z
    .number()
    .int()
    .min(0)
    .default(15 * 60_000),
  /** Trendyol keeps a batch readable this long after accepting it (4 h in production); then GET answers 404. */
  trendyolResultRetentionMs: z
    .number()
    .int()
    .min(0)
    .default(4 * 3_600_000),
  /** Shopify locations gid://shopify/Location/1..n exist. */
  shopifyLocations: z.number().int().min(1).default(3),
  /** Shopify cost bucket: size and points restored a second; each mutation costs {@link SHOPIFY_MUTATION_COST}. */
  shopifyMaximumAvailable: z.number().min(0).default(2_000),
  shopifyRestoreRate: z.number().positive().default(100),
  /**
   * Multiplies the documented request budgets of the faces in src/sandbox/faces (1 = the real ones): tests of other
   * things than pacing raise it, so Amazon's one feed every two minutes does not set their pace.
   */
  budgetScale: z.number().positive().default(1),
});
export type MarketplaceTunables = z.infer<typeof marketplaceTunablesSchema>;

export interface MarketplaceCredentials {
  trendyol: { sellerId: string; apiKey: string; apiSecret: string };
  shopify: { accessToken: string };
}

/** What the sandbox accepts unless told otherwise; tests and the standalone sandbox configure adapters with these. */
export const SANDBOX_MARKETPLACE_CREDENTIALS: MarketplaceCredentials = {
  trendyol: { sellerId: '100200', apiKey: 'sandbox-trendyol-key', apiSecret: 'sandbox-trendyol-secret' },
  shopify: { accessToken: 'shpat_sandbox_token' },
};

export interface MarketplaceOptions extends Partial<MarketplaceTunables> {
  credentials?: MarketplaceCredentials;
}

export const TRENDYOL_MAX_QUANTITY = 20_000;
const SHOPIFY_MAX_QUANTITY = 1_000_000_000;
export const SHOPIFY_MUTATION_COST = 10;

export interface Listing {
  sku: string;
  barcode: string;
  inventoryItemId: string;
}

export interface MarketplaceStats {
  requests: number;
  batchesAccepted: number;
  batchesCompleted: number;
  repeatedBodyRejections: number;
  itemFailures: number;
  shopifyMutations: number;
  shopifyThrottled: number;
  /**
   * Trendyol batches accepted although the identical body (seller and items) had been accepted before: a page sent
   * again once the repeat window had passed. Counted over the whole life of the state, not just the window.
   */
  trendyolBodiesAcceptedAgain: number;
  /** Shopify mutations applied although identical rows (items, locations, quantities) had been applied before. */
  shopifyMutationsAppliedAgain: number;
  /** Shopify mutations answered from an earlier success under the same `@idempotent` key: not applied again. */
  shopifyIdempotentReplays: number;
}

const emptyStats = (): MarketplaceStats => ({
  requests: 0,
  batchesAccepted: 0,
  batchesCompleted: 0,
  repeatedBodyRejections: 0,
  itemFailures: 0,
  shopifyMutations: 0,
  shopifyThrottled: 0,
  trendyolBodiesAcceptedAgain: 0,
  shopifyMutationsAppliedAgain: 0,
  shopifyIdempotentReplays: 0,
});

export interface TrendyolRequestItem {
  barcode: string;
  quantity: number;
  salePrice?: number;
  listPrice?: number;
}

/** As the batch result echoes it: flat, with the time Trendyol took the update in (ISO, `+00:00`). */
export type TrendyolEchoedItem = TrendyolRequestItem & { updateRequestDate: string };

export interface TrendyolItemResult {
  requestItem: TrendyolEchoedItem;
  status: 'SUCCESS' | 'FAILED' | 'IN_PROGRESS';
  failureReasons: string[];
}

interface TrendyolBatch {
  id: string;
  createdAt: number;
  dueAt: number;
  items: TrendyolEchoedItem[];
  results?: TrendyolItemResult[];
  completedAt?: number;
}

/** Trendyol's own words for a repeated body (Turkish in production). */
export const TRENDYOL_REPEAT_MESSAGE = '15 dakika boyunca aynı isteği tekrarlı olarak atamazsınız!';

export interface ShopifyQuantityRow {
  inventoryItemId: string;
  locationId: string;
  quantity: number;
  changeFromQuantity?: number | null;
}

export interface ShopifyUserError {
  code: string;
  /** Null for errors about the call, not one of its inputs (the idempotency codes). */
  field: string[] | null;
  message: string;
}

export interface ShopifyOutcome {
  userErrors: ShopifyUserError[];
  groupId?: string;
}

/** userError codes a control can make the next keyed mutations answer (`PUT .../shopify/idempotency-fault`). */
export const SHOPIFY_IDEMPOTENCY_FAULTS = [
  'IDEMPOTENCY_CONCURRENT_REQUEST',
  'IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED',
] as const;
export type ShopifyIdempotencyFault = (typeof SHOPIFY_IDEMPOTENCY_FAULTS)[number];

/** Shopify's messages (InventorySetQuantitiesUserErrorCode). */
const IDEMPOTENCY_MESSAGES = {
  IDEMPOTENCY_CONCURRENT_REQUEST: 'This request is currently in progress, please try again.',
  IDEMPOTENCY_KEY_PARAMETER_MISMATCH: 'The same idempotency key cannot be used with different operation parameters.',
  IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED:
    'A previous request with this idempotency key failed. Retry with a new idempotency key.',
} as const;

/** What Shopify remembers of an `@idempotent` key: the parameters' hash and, after a success, the answer. */
interface IdempotentAttempt {
  params: string;
  succeeded?: ShopifyOutcome;
}

export class MarketplaceState {
  readonly credentials: MarketplaceCredentials;
  readonly hepsiburada = new HepsiburadaFace();
  readonly n11 = new N11Face();
  readonly amazon = new AmazonFace();
  readonly ebay = new EbayFace();
  private tunables: MarketplaceTunables;
  private counters = emptyStats();
  private readonly skuByBarcode = new Map<string, string>();
  private readonly trendyolQuantities = new Map<string, number>();
  private readonly batches = new Map<string, TrendyolBatch>();
  /** Accepted, not yet completed batches in acceptance order. */
  private inProgress: TrendyolBatch[] = [];
  /** sha1 of seller + body -> acceptance time; insertion order is time order, so expiry prunes from the front. */
  private readonly recentBodies = new Map<string, number>();
  /** sha1 of every Trendyol body and Shopify row set ever accepted: what makes a re-sent page countable. */
  private readonly acceptedBodies = new Set<string>();
  private readonly inventoryItems = new Set<string>();
  /** inventory item -> location -> available */
  private readonly levels = new Map<string, Map<string, number>>();
  private bucket: { available: number; at: number };
  private adjustmentGroups = 0;
  /** Every `@idempotent` key seen, until reset (Shopify's own retention window is undocumented). */
  private readonly idempotencyKeys = new Map<string, IdempotentAttempt>();
  private idempotencyFault: { code: ShopifyIdempotencyFault; remaining: number } | undefined;

  constructor(private readonly initial: MarketplaceOptions = {}) {
    this.credentials = initial.credentials ?? SANDBOX_MARKETPLACE_CREDENTIALS;
    // zod strips `credentials`, leaving the tunables.
    this.tunables = marketplaceTunablesSchema.parse(initial);
    this.bucket = { available: this.tunables.shopifyMaximumAvailable, at: Date.now() };
    this.scaleBudgets();
  }

  get options(): MarketplaceTunables {
    return { ...this.tunables };
  }

  setOptions(changes: Partial<MarketplaceTunables>): MarketplaceTunables {
    this.tunables = marketplaceTunablesSchema.parse({ ...this.tunables, ...changes });
    this.bucket = { available: this.tunables.shopifyMaximumAvailable, at: Date.now() };
    this.scaleBudgets();
    return this.options;
  }

  private scaleBudgets(): void {
    for (const face of this.faces) face.budgetScale = this.tunables.budgetScale;
  }

  /** The faces built on {@link MarketplaceFace}, each mounted at `/<adapter>/`. */
  get faces(): MarketplaceFace[] {
    return [this.hepsiburada, this.n11, this.amazon, this.ebay];
  }

  /**
   * Which products exist: Trendyol knows their barcodes, Shopify their inventory items, every other face the
   * merchant's SKU.
   */
  addListings(listings: readonly Listing[]): void {
    for (const listing of listings) {
      this.skuByBarcode.set(listing.barcode, listing.sku);
      this.inventoryItems.add(listing.inventoryItemId);
    }
    const skus = listings.map((l) => l.sku);
    for (const face of this.faces) face.list(skus);
  }

  /**
   * What the marketplace behind an adapter holds, one way for every face (Trendyol by barcode, Shopify by inventory
   * item and location); undefined for an adapter no face serves.
   */
  holdings(adapter: string): Holdings | undefined {
    if (adapter === 'trendyol') {
      return {
        hasWarehouses: false,
        held: (barcode) => this.trendyolHeld(barcode),
        hold: (barcode, _warehouse, quantity) => this.holdTrendyol(barcode, quantity),
        drift: (barcode, _warehouse, quantity) => this.driftTrendyol(barcode, quantity),
      };
    }
    if (adapter === 'shopify') {
      return {
        hasWarehouses: true,
        held: (item, location) => this.shopifyHeld(item, location ?? ''),
        hold: (item, location, quantity) => this.holdShopify(item, location ?? '', quantity),
        drift: (item, location, quantity) => this.driftShopify(item, location ?? '', quantity),
      };
    }
    return this.faces.find((face) => face.adapter === adapter);
  }

  reset(): void {
    this.tunables = marketplaceTunablesSchema.parse(this.initial);
    this.counters = emptyStats();
    this.skuByBarcode.clear();
    this.trendyolQuantities.clear();
    this.batches.clear();
    this.inProgress = [];
    this.recentBodies.clear();
    this.acceptedBodies.clear();
    this.inventoryItems.clear();
    this.levels.clear();
    this.bucket = { available: this.tunables.shopifyMaximumAvailable, at: Date.now() };
    this.adjustmentGroups = 0;
    this.idempotencyKeys.clear();
    this.idempotencyFault = undefined;
    for (const face of this.faces) face.reset();
    this.scaleBudgets();
  }

  countRequest(): void {
    this.counters.requests++;
  }

  stats(): MarketplaceStats {
    this.settle(Date.now());
    return { ...this.counters };
  }

  // ---- Trendyol ----

  /** Accepts a batch, or answers 'repeated' when the same seller sent the same body within the repeat window. */
  acceptTrendyolBatch(
    sellerId: string,
    items: TrendyolRequestItem[],
    now = Date.now(),
  ): { batchRequestId: string } | 'repeated' {
    this.settle(now);
    this.forgetBodiesBefore(now - this.tunables.repeatWindowMs);
    const key = createHash('sha1').update(sellerId).update('\0').update(JSON.stringify(items)).digest('hex');
    if (this.recentBodies.has(key)) {
      this.counters.repeatedBodyRejections++;
      return 'repeated';
    }
    this.recentBodies.set(key, now);
    if (!this.rememberAccepted(key)) this.counters.trendyolBodiesAcceptedAgain++;
    const updateRequestDate = new Date(now).toISOString().replace('Z', '+00:00');
    const batch: TrendyolBatch = {
      id: `${randomUUID()}-${Math.floor(now / 1000)}`,
      createdAt: now,
      dueAt: now + this.tunables.batchDelayMs,
      items: items.map((item) => ({ ...item, updateRequestDate })),
    };
    this.batches.set(batch.id, batch);
    this.inProgress.push(batch);
    this.counters.batchesAccepted++;
    this.settle(now);
    return { batchRequestId: batch.id };
  }

  /**
   * The batch as Trendyol's batch-requests endpoint shows a ProductInventoryUpdate batch (the documented sample): no
   * batch-level status, every item IN_PROGRESS until the batch is processed. Undefined when unknown or past retention.
   */
  trendyolBatch(id: string, now = Date.now()) {
    this.settle(now);
    const batch = this.batches.get(id);
    if (!batch) return undefined;
    const results =
      batch.results ??
      batch.items.map((requestItem): TrendyolItemResult => ({
        requestItem,
        status: 'IN_PROGRESS',
        failureReasons: [],
      }));
    return {
      batchRequestId: batch.id,
      creationDate: batch.createdAt,
      lastModification: batch.completedAt ?? batch.createdAt,
      sourceType: 'API',
      itemCount: batch.items.length,
      failedItemCount: results.filter((r) => r.status === 'FAILED').length,
      batchRequestType: 'ProductInventoryUpdate',
      items: results,
    };
  }

  /** barcode -> last applied quantity; only the given barcodes when a list is passed. */
  trendyolQuantitiesOf(barcodes?: readonly string[]): Record<string, number> {
    this.settle(Date.now());
    if (!barcodes) return Object.fromEntries(this.trendyolQuantities);
    return Object.fromEntries(
      barcodes.flatMap((b) => {
        const quantity = this.trendyolQuantities.get(b);
        return quantity === undefined ? [] : [[b, quantity] as const];
      }),
    );
  }

  /** Completes due batches from the front of the queue only: a later batch waits for every earlier one. */
  private settle(now: number): void {
    let done = 0;
    for (const batch of this.inProgress) {
      if (batch.dueAt > now) break;
      batch.results = batch.items.map((item) => this.applyTrendyolItem(item));
      batch.completedAt = now;
      this.counters.batchesCompleted++;
      done++;
    }
    if (done > 0) this.inProgress = this.inProgress.slice(done);
    // Map order is acceptance order: expired ones sit at the front. A forgotten batch still in progress is still
    // applied (above), it just can no longer be read.
    for (const [id, batch] of this.batches) {
      if (batch.createdAt > now - this.tunables.trendyolResultRetentionMs) break;
      this.batches.delete(id);
    }
  }

  private applyTrendyolItem(item: TrendyolEchoedItem): TrendyolItemResult {
    const reason = !this.skuByBarcode.has(item.barcode)
      ? `Barkod bulunamadı: ${item.barcode} (no product with this barcode)`
      : item.quantity > TRENDYOL_MAX_QUANTITY
        ? `Stok adedi ${TRENDYOL_MAX_QUANTITY} değerinden büyük olamaz (quantity exceeds ${TRENDYOL_MAX_QUANTITY})`
        : item.quantity < 0
          ? 'Stok adedi negatif olamaz (quantity cannot be negative)'
          : undefined;
    if (reason) {
      this.counters.itemFailures++;
      return { requestItem: item, status: 'FAILED', failureReasons: [reason] };
    }
    this.trendyolQuantities.set(item.barcode, item.quantity);
    return { requestItem: item, status: 'SUCCESS', failureReasons: [] };
  }

  /** Records an accepted body; false when the same body had been accepted before. */
  private rememberAccepted(key: string): boolean {
    if (this.acceptedBodies.has(key)) return false;
    this.acceptedBodies.add(key);
    return true;
  }

  private forgetBodiesBefore(cutoff: number): void {
    for (const [key, at] of this.recentBodies) {
      if (at > cutoff) break;
      this.recentBodies.delete(key);
    }
  }

  // ---- Shopify ----

  get shopifyLocationIds(): string[] {
    return Array.from({ length: this.tunables.shopifyLocations }, (_, i) => `gid://shopify/Location/${i + 1}`);
  }

  /**
   * Takes a mutation's cost from the leaky bucket; answers the bucket state for `extensions.cost`, with
   * `throttled` when the bucket lacks the cost (then nothing is taken, as Shopify does).
   */
  takeShopifyCost(now = Date.now()): { throttled: boolean; currentlyAvailable: number } {
    const { shopifyMaximumAvailable: max, shopifyRestoreRate: rate } = this.tunables;
    this.bucket.available = Math.min(max, this.bucket.available + ((now - this.bucket.at) / 1000) * rate);
    this.bucket.at = now;
    if (this.bucket.available < SHOPIFY_MUTATION_COST) {
      this.counters.shopifyThrottled++;
      return { throttled: true, currentlyAvailable: Math.floor(this.bucket.available) };
    }
    this.bucket.available -= SHOPIFY_MUTATION_COST;
    return { throttled: false, currentlyAvailable: Math.floor(this.bucket.available) };
  }

  /** Control: the next `count` mutations that carry an `@idempotent` key answer `code` (0 clears). */
  setShopifyIdempotencyFault(code: ShopifyIdempotencyFault, count: number): { code: string; remaining: number } {
    this.idempotencyFault = count > 0 ? { code, remaining: count } : undefined;
    return { code, remaining: count };
  }

  shopifyIdempotencyFault(): { code: string | null; remaining: number } {
    return this.idempotencyFault ? { ...this.idempotencyFault } : { code: null, remaining: 0 };
  }

  /**
   * A mutation under an `@idempotent` key, as Shopify documents it: a key seen before with other parameters answers
   * IDEMPOTENCY_KEY_PARAMETER_MISMATCH, one whose attempt failed (userErrors) IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED,
   * one that succeeded its stored answer without applying anything again. An injected PREVIOUS_ATTEMPT_FAILED marks a
   * new key failed, so a retry under it is refused again, as it would be after a real failed attempt.
   */
  runIdempotent(key: string, params: unknown, execute: () => ShopifyOutcome): ShopifyOutcome {
    const hash = createHash('sha1').update(JSON.stringify(params)).digest('hex');
    const known = this.idempotencyKeys.get(key);
    const fault = this.takeIdempotencyFault();
    if (fault === 'IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED' && !known) this.idempotencyKeys.set(key, { params: hash });
    if (fault) return idempotencyRefusal(fault);
    if (known) {
      if (known.params !== hash) return idempotencyRefusal('IDEMPOTENCY_KEY_PARAMETER_MISMATCH');
      if (!known.succeeded) return idempotencyRefusal('IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED');
      this.counters.shopifyIdempotentReplays++;
      return known.succeeded;
    }
    const outcome = execute();
    this.idempotencyKeys.set(key, { params: hash, ...(outcome.userErrors.length === 0 ? { succeeded: outcome } : {}) });
    return outcome;
  }

  private takeIdempotencyFault(): ShopifyIdempotencyFault | undefined {
    const fault = this.idempotencyFault;
    if (!fault) return undefined;
    if (--fault.remaining === 0) this.idempotencyFault = undefined;
    return fault.code;
  }

  /** inventorySetQuantities: all rows are checked first; any userError and nothing is applied (all-or-nothing). */
  setShopifyQuantities(rows: readonly ShopifyQuantityRow[]): ShopifyOutcome {
    this.counters.shopifyMutations++;
    const locations = new Set(this.shopifyLocationIds);
    const seen = new Set<string>();
    const userErrors: ShopifyUserError[] = [];
    rows.forEach((row, index) => {
      const error = (code: string, field: string, message: string) =>
        userErrors.push({ code, field: ['input', 'quantities', String(index), field], message });
      const pair = `${row.inventoryItemId}\0${row.locationId}`;
      if (!this.inventoryItems.has(row.inventoryItemId)) {
        error('INVALID_INVENTORY_ITEM', 'inventoryItemId', 'The specified inventory item could not be found.');
      } else if (!locations.has(row.locationId)) {
        error('INVALID_LOCATION', 'locationId', 'The specified location could not be found.');
      } else if (seen.has(pair)) {
        error(
          'NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR',
          'inventoryItemId',
          'The combination of inventoryItemId and locationId must be unique.',
        );
      } else if (row.quantity < 0) {
        error('INVALID_QUANTITY_NEGATIVE', 'quantity', "The quantity can't be negative.");
      } else if (row.quantity > SHOPIFY_MAX_QUANTITY) {
        error('INVALID_QUANTITY_TOO_HIGH', 'quantity', "The total quantity can't be higher than 1,000,000,000.");
      } else if (typeof row.changeFromQuantity === 'number' && row.changeFromQuantity !== this.level(row)) {
        error(
          'CHANGE_FROM_QUANTITY_STALE',
          'changeFromQuantity',
          'The changeFromQuantity value does not match persisted value.',
        );
      }
      seen.add(pair);
    });
    if (userErrors.length > 0) {
      this.counters.itemFailures += new Set(userErrors.map((e) => e.field?.[2])).size;
      return { userErrors };
    }
    const key = createHash('sha1')
      .update('shopify\0')
      .update(JSON.stringify(rows.map((r) => [r.inventoryItemId, r.locationId, r.quantity])))
      .digest('hex');
    if (!this.rememberAccepted(key)) this.counters.shopifyMutationsAppliedAgain++;
    for (const row of rows) this.setShopifyLevel(row.inventoryItemId, row.locationId, row.quantity);
    return { userErrors, groupId: `gid://shopify/InventoryAdjustmentGroup/${++this.adjustmentGroups}` };
  }

  private setShopifyLevel(inventoryItemId: string, locationId: string, quantity: number): void {
    let byLocation = this.levels.get(inventoryItemId);
    if (!byLocation) this.levels.set(inventoryItemId, (byLocation = new Map()));
    byLocation.set(locationId, quantity);
  }

  /**
   * Control (`POST /control/channels/:id/baseline`): the marketplace holds these quantities as if an earlier sync had
   * delivered them; nothing is counted as a request or a batch.
   */
  holdTrendyol(barcode: string, quantity: number): void {
    this.trendyolQuantities.set(barcode, quantity);
  }

  holdShopify(inventoryItemId: string, locationId: string, quantity: number): void {
    this.setShopifyLevel(inventoryItemId, locationId, quantity);
  }

  /** What Trendyol holds for a barcode: its quantity (0 until one was set), undefined when no product has it. */
  trendyolHeld(barcode: string): number | undefined {
    this.settle(Date.now());
    return this.skuByBarcode.has(barcode) ? (this.trendyolQuantities.get(barcode) ?? 0) : undefined;
  }

  isShopifyItem(inventoryItemId: string): boolean {
    return this.inventoryItems.has(inventoryItemId);
  }

  /** What a Shopify location holds of an item: `available`, undefined when the item is not stocked there. */
  shopifyHeld(inventoryItemId: string, locationId: string): number | undefined {
    return this.levels.get(inventoryItemId)?.get(locationId);
  }

  /** Drift (control): the marketplace's own copy changes, as a seller's edit or an order would change it. */
  driftTrendyol(barcode: string, quantity: number | null): void {
    if (quantity === null) {
      this.skuByBarcode.delete(barcode);
      this.trendyolQuantities.delete(barcode);
    } else this.trendyolQuantities.set(barcode, quantity);
  }

  driftShopify(inventoryItemId: string, locationId: string, quantity: number | null): void {
    if (quantity === null) this.levels.get(inventoryItemId)?.delete(locationId);
    else this.setShopifyLevel(inventoryItemId, locationId, quantity);
  }

  /** inventory item -> { location gid -> available } */
  shopifyQuantities(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.levels].map(([item, byLocation]) => [item, Object.fromEntries(byLocation)]));
  }

  private level(row: ShopifyQuantityRow): number {
    return this.levels.get(row.inventoryItemId)?.get(row.locationId) ?? 0;
  }
}

function idempotencyRefusal(code: keyof typeof IDEMPOTENCY_MESSAGES): ShopifyOutcome {
  return { userErrors: [{ code, field: null, message: IDEMPOTENCY_MESSAGES[code] }] };
}
