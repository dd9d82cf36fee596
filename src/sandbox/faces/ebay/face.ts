/**
 * The sandbox's eBay seller account: inventory items by SKU (the listed SKUs), each with its ship-to-home total and
 * its quantities per inventory location (merchantLocationKey), written synchronously by bulkUpdatePriceQuantity and
 * read by bulkGetInventoryItem; the OAuth user tokens its identity endpoint mints; the Inventory API's daily call
 * quota; the 250 revisions a listing takes a day. HTTP in routes.ts; what the docs leave open is chosen as
 * specs/ebay.md records it.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { MarketplaceTunables } from '../../marketplace-state';
import { IssuedTokens, MarketplaceFace, type RequestBudget } from '../face';
import { ebayRoutes } from './routes';

const SCOPE = 'https://api.ebay.com/oauth/api_scope';

/** What the face accepts; the refresh token's consent covers these scopes. */
export const EBAY_SANDBOX_CREDENTIALS = {
  clientId: 'StockFlo-stockflo-SBX-5a1d2c3b4-e6f7a8b9',
  clientSecret: 'SBX-5a1d2c3b4e6f-7a8b-4c9d-0e1f-2a3b',
  refreshToken: 'v^1.1_i^1_r^1_p^3_I^3_f^0_t^stockflow-sandbox-refresh-token',
};
export const EBAY_CONSENTED_SCOPES = [SCOPE, `${SCOPE}/sell.inventory`, `${SCOPE}/sell.inventory.readonly`];
export const SELL_INVENTORY = `${SCOPE}/sell.inventory`;
export const SELL_INVENTORY_READONLY = `${SCOPE}/sell.inventory.readonly`;

/** "Inventory API: 2,000,000 API calls per day", one quota for every Inventory call. */
export const INVENTORY_BUDGET: RequestBudget = { perSecond: 2_000_000 / 86_400, burst: 2_000_000 };
/** "up to 25" a call, reads and writes. */
export const MAX_REQUESTS = 25;
/** The fields are int32; eBay documents no other ceiling. */
export const MAX_QUANTITY = 2_147_483_647;
/** "Each listing can be revised up to 250 times in one calendar day." */
const REVISIONS_PER_DAY = 250;
/** User access tokens "expire within two hours" (expires_in 7200). */
const TOKEN_LIFETIME_MS = 7_200_000;

/** The Error container eBay answers in, per item and for a whole call. */
export interface EbayError {
  errorId: number;
  domain: string;
  category: 'REQUEST' | 'APPLICATION' | 'BUSINESS';
  message: string;
  longMessage?: string;
  parameters?: { name: string; value: string }[];
}

export const inventoryError = (errorId: number, message: string, parameter?: [string, string]): EbayError => ({
  errorId,
  domain: 'API_INVENTORY',
  category: 'REQUEST',
  message,
  longMessage: message,
  ...(parameter ? { parameters: [{ name: parameter[0], value: parameter[1] }] } : {}),
});

/** A PriceQuantity entry as the route validated it. */
export interface PriceQuantity {
  sku?: string;
  shipToLocationAvailability?: {
    quantity?: number;
    availabilityDistributions?: { merchantLocationKey: string; quantity?: number; fulfillmentTime?: unknown }[];
  };
  offers?: { offerId: string }[];
}

export interface ItemResponse {
  statusCode: number;
  sku?: string;
  errors?: EbayError[];
}

export class EbayFace extends MarketplaceFace {
  readonly adapter = 'ebay';
  readonly hasWarehouses = true;
  readonly tokens = new IssuedTokens();
  tokenLifetimeMs = TOKEN_LIFETIME_MS;
  revisionsPerDay = REVISIONS_PER_DAY;
  /** SKU -> its locations, in the order eBay lists its availabilityDistributions. */
  private readonly locationsOf = new Map<string, string[]>();
  /** SKU + "\0" + location -> the fulfillmentTime written with it, echoed by reads. */
  private readonly fulfillmentTimes = new Map<string, unknown>();
  /** Locations created beyond the seeded `EBAY-WH-<stock list>` ones. */
  private readonly locations = new Set<string>();
  /** SKU -> revisions on the UTC day named. */
  private readonly revisions = new Map<string, { day: string; count: number }>();

  /** Synchronous: nothing of the sandbox's tunables (batch delays) applies. */
  routes(_tunables: () => MarketplaceTunables): FastifyPluginAsync {
    return ebayRoutes(this);
  }

  override reset(): void {
    super.reset();
    this.tokens.clear();
    this.tokenLifetimeMs = TOKEN_LIFETIME_MS;
    this.revisionsPerDay = REVISIONS_PER_DAY;
    this.locationsOf.clear();
    this.fulfillmentTimes.clear();
    this.locations.clear();
    this.revisions.clear();
  }

  override hold(remoteId: string, warehouse: string | undefined, quantity: number): void {
    if (warehouse !== undefined) {
      this.locations.add(warehouse);
      const keys = this.locationsOf.get(remoteId) ?? [];
      if (!keys.includes(warehouse)) this.locationsOf.set(remoteId, [...keys, warehouse]);
    }
    super.hold(remoteId, warehouse, quantity);
  }

  override drift(remoteId: string, warehouse: string | undefined, quantity: number | null): void {
    if (quantity === null && warehouse !== undefined) {
      this.locationsOf.set(
        remoteId,
        (this.locationsOf.get(remoteId) ?? []).filter((k) => k !== warehouse),
      );
    }
    super.drift(remoteId, warehouse, quantity);
  }

  isLocation(key: string): boolean {
    return this.locations.has(key) || /^EBAY-WH-\d+$/.test(key);
  }

  /** 0 when the call may proceed, else the ms until the daily quota has a call again. */
  throttle(now = Date.now()): number {
    return this.takeBudget('inventory', INVENTORY_BUDGET, now);
  }

  /** The item's ShipToLocationAvailability: its total (the locations' sum when none was set) and its locations. */
  availability(sku: string) {
    const distributions = (this.locationsOf.get(sku) ?? []).map((key) => {
      const fulfillmentTime = this.fulfillmentTimes.get(`${sku}\0${key}`);
      return {
        merchantLocationKey: key,
        quantity: this.held(sku, key) ?? 0,
        ...(fulfillmentTime === undefined ? {} : { fulfillmentTime }),
      };
    });
    const quantity = this.held(sku, undefined) ?? distributions.reduce((sum, d) => sum + d.quantity, 0);
    return { quantity, ...(distributions.length === 0 ? {} : { availabilityDistributions: distributions }) };
  }

  /**
   * One bulkUpdatePriceQuantity: each entry checked, the accepted ones applied together. A container replaces the
   * item's availability (a total left out is lost, so 0; a location left out is no longer stocked).
   */
  update(requests: readonly PriceQuantity[], now = Date.now()): ItemResponse[] {
    const applied: { remoteId: string; warehouse?: string; quantity: number }[] = [];
    const responses = requests.map((request): ItemResponse => {
      const problem = this.problemOf(request, now);
      if (problem) {
        this.counters.itemFailures++;
        return {
          statusCode: problem[0],
          ...(request.sku === undefined ? {} : { sku: request.sku }),
          errors: [problem[1]],
        };
      }
      const sku = request.sku!; // problemOf refuses an entry without one
      const given = request.shipToLocationAvailability!.availabilityDistributions ?? [];
      for (const gone of (this.locationsOf.get(sku) ?? []).filter(
        (k) => !given.some((d) => d.merchantLocationKey === k),
      )) {
        this.drift(sku, gone, null);
        this.fulfillmentTimes.delete(`${sku}\0${gone}`);
      }
      this.locationsOf.set(
        sku,
        given.map((d) => d.merchantLocationKey),
      );
      for (const d of given) {
        if (d.fulfillmentTime === undefined) this.fulfillmentTimes.delete(`${sku}\0${d.merchantLocationKey}`);
        else this.fulfillmentTimes.set(`${sku}\0${d.merchantLocationKey}`, d.fulfillmentTime);
        applied.push({ remoteId: sku, warehouse: d.merchantLocationKey, quantity: d.quantity ?? 0 });
      }
      applied.push({ remoteId: sku, quantity: request.shipToLocationAvailability!.quantity ?? 0 });
      this.revise(sku, now);
      return { statusCode: 200, sku };
    });
    if (applied.length > 0) {
      this.applyQuantities(applied);
      this.counters.sendsAccepted++;
    }
    return responses;
  }

  /** Why eBay would refuse one entry: [statusCode, error], or undefined. */
  private problemOf(request: PriceQuantity, now: number): [number, EbayError] | undefined {
    const { sku, shipToLocationAvailability: ship, offers } = request;
    if (sku === undefined) return [400, inventoryError(25709, 'Invalid value for sku.', ['sku', ''])];
    if (!this.isListed(sku))
      return [404, inventoryError(25702, `SKU ${sku} is not available in the system`, ['sku', sku])];
    // The sandbox account has no published offers.
    if (offers?.length) return [400, inventoryError(25713, `This Offer is not available : ${offers[0]!.offerId}.`)];
    if (!ship) return [400, inventoryError(25709, 'Invalid value for shipToLocationAvailability.', ['sku', sku])];
    const outOfRange = (q: number | undefined) => q !== undefined && (q < 0 || q > MAX_QUANTITY);
    if (outOfRange(ship.quantity)) {
      return [400, inventoryError(25709, 'Invalid value for shipToLocationAvailability.quantity.', ['sku', sku])];
    }
    for (const d of ship.availabilityDistributions ?? []) {
      if (!this.isLocation(d.merchantLocationKey)) {
        const message = `Invalid value for merchantLocationKey. ${d.merchantLocationKey} is not an inventory location.`;
        return [400, inventoryError(25709, message, ['merchantLocationKey', d.merchantLocationKey])];
      }
      if (outOfRange(d.quantity)) {
        return [400, inventoryError(25709, 'Invalid value for availabilityDistributions.quantity.', ['sku', sku])];
      }
    }
    const revised = this.revisions.get(sku);
    if (revised?.day === utcDay(now) && revised.count >= this.revisionsPerDay) {
      const message = `A user error has occurred. The listing of ${sku} has been revised ${this.revisionsPerDay} times today.`;
      return [400, inventoryError(25002, message, ['sku', sku])];
    }
    return undefined;
  }

  private revise(sku: string, now: number): void {
    const day = utcDay(now);
    const revised = this.revisions.get(sku);
    this.revisions.set(sku, { day, count: revised?.day === day ? revised.count + 1 : 1 });
  }
}

function utcDay(now: number): string {
  return new Date(now).toISOString().slice(0, 10);
}
