/**
 * eBay's Sell Inventory API as the adapter calls it. Every call carries an OAuth user access token (`Authorization:
 * Bearer`), minted from the seller's refresh token at `identity/v1/oauth2/token` on the same host (HTTP Basic client
 * id:secret, form body grant_type/refresh_token/scope) and cached until 5 minutes before its `expires_in`, as eBay's
 * own OAuth client does. A 429 (errorId 2001) carries no documented delay: Retry-After when eBay sends one, else the
 * configured wait.
 */
import type { AxiosInstance } from 'axios';
import { z } from 'zod';
import { createHttpClient } from '../../http/client';
import { parseResponse, parseRetryAfter, RateLimitedError, ServerError } from '../../http/errors';
import {
  CachedToken,
  callJson,
  exchangeErrorDetails,
  exchangeRefreshToken,
  type JsonExchange,
  withAccessToken,
} from '../base';
import type { ChannelExchange } from '../port';

/** eBay's Java OAuth client treats a token as expired 5 minutes early. */
const TOKEN_MARGIN_MS = 5 * 60_000;

/** The documented Error container, only what a verdict names. */
const ebayError = z.object({
  errorId: z.number().nullish(),
  message: z.string().nullish(),
  longMessage: z.string().nullish(),
});
type EbayError = z.infer<typeof ebayError>;

const distribution = z.object({
  merchantLocationKey: z.string(),
  quantity: z.number().int().nullish(),
  /** Kept as read and written back, so a read-modify-write never drops the seller's delivery estimate. */
  fulfillmentTime: z.unknown().optional(),
});

const bulkGetResponse = z.object({
  responses: z
    .array(
      z.object({
        statusCode: z.number().int(),
        sku: z.string().nullish(),
        inventoryItem: z
          .object({
            availability: z
              .object({
                shipToLocationAvailability: z
                  .object({
                    quantity: z.number().int().nullish(),
                    availabilityDistributions: z.array(distribution).nullish(),
                  })
                  .nullish(),
              })
              .nullish(),
          })
          .nullish(),
        errors: z.array(ebayError).nullish(),
      }),
    )
    .nullish(),
});

const bulkUpdateResponse = z.object({
  responses: z
    .array(
      z.object({
        statusCode: z.number().int(),
        sku: z.string().nullish(),
        offerId: z.string().nullish(),
        errors: z.array(ebayError).nullish(),
      }),
    )
    .nullish(),
});

/** One location's quantity of an inventory item, as eBay holds it. */
export interface Distribution {
  merchantLocationKey: string;
  quantity: number;
  fulfillmentTime?: unknown;
}

/** The ship-to-home availability of an inventory item: its total and, per location, its distributions. */
export interface Availability {
  quantity: number;
  distributions: Distribution[];
}

/** What a read answered for one SKU: its availability, or why eBay has none for it. */
export type HeldItem = { availability: Availability } | { failure: string };

export interface EbayApiOptions {
  baseURL: string;
  timeoutMs?: number;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  scopes: readonly string[];
  throttleRetryMs: number;
}

export class EbayInventoryApi {
  private readonly http: AxiosInstance;
  private readonly token: CachedToken;

  constructor(private readonly options: EbayApiOptions) {
    this.http = createHttpClient({ api: 'ebay', baseURL: options.baseURL, timeoutMs: options.timeoutMs });
    const identity = createHttpClient({ api: 'ebay-identity', baseURL: options.baseURL, timeoutMs: options.timeoutMs });
    const basic = Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64');
    this.token = new CachedToken(
      () =>
        exchangeRefreshToken(identity, {
          path: 'identity/v1/oauth2/token',
          fields: { grant_type: 'refresh_token', refresh_token: options.refreshToken, scope: options.scopes.join(' ') },
          headers: { Authorization: `Basic ${basic}` },
          what: 'ebay user access token',
        }),
      TOKEN_MARGIN_MS,
    );
  }

  /** bulkGetInventoryItem: what eBay holds for each SKU (at most 25, distinct). */
  async getItems(skus: readonly string[]): Promise<{ held: Map<string, HeldItem>; exchange: ChannelExchange }> {
    const what = 'ebay bulkGetInventoryItem';
    const { data, exchange } = await this.call({
      path: 'sell/inventory/v1/bulk_get_inventory_item',
      body: { requests: skus.map((sku) => ({ sku })) },
      what,
    });
    const held = new Map<string, HeldItem>();
    for (const [index, response] of (parseResponse(bulkGetResponse, data, what).responses ?? []).entries()) {
      // Responses come in request order; the index names an entry eBay gave no sku.
      const sku = response.sku ?? skus[index];
      if (sku === undefined) continue;
      if (response.statusCode >= 500) {
        throw new ServerError({
          ...exchangeErrorDetails('ebay', exchange),
          status: response.statusCode,
          serverMessage: describe(response),
        });
      }
      if (response.statusCode !== 200) {
        held.set(sku, { failure: describe(response) });
        continue;
      }
      const ship = response.inventoryItem?.availability?.shipToLocationAvailability;
      held.set(sku, {
        availability: {
          quantity: ship?.quantity ?? 0,
          distributions: (ship?.availabilityDistributions ?? []).map((d) => ({ ...d, quantity: d.quantity ?? 0 })),
        },
      });
    }
    return { held, exchange };
  }

  /**
   * bulkUpdatePriceQuantity with the ship-to-home availability of each SKU (at most 25, distinct): SKU -> "" when
   * eBay applied it (statusCode 200), else eBay's reason; a SKU eBay answered nothing for is absent.
   */
  async setAvailability(
    items: readonly { sku: string; availability: Availability }[],
  ): Promise<{ verdicts: Map<string, string>; exchange: ChannelExchange }> {
    const what = 'ebay bulkUpdatePriceQuantity';
    const { data, exchange } = await this.call({
      path: 'sell/inventory/v1/bulk_update_price_quantity',
      body: {
        requests: items.map(({ sku, availability }) => ({ sku, shipToLocationAvailability: toWire(availability) })),
      },
      what,
    });
    const verdicts = new Map<string, string>();
    for (const [index, response] of (parseResponse(bulkUpdateResponse, data, what).responses ?? []).entries()) {
      // Without `offers` eBay answers one entry per SKU, in request order; an offer's entry is not the item's.
      const sku = response.sku ?? items[index]?.sku;
      if (sku === undefined || response.offerId) continue;
      verdicts.set(sku, response.statusCode === 200 ? '' : describe(response));
    }
    return { verdicts, exchange };
  }

  /** One POST under the access token; a 429 becomes a RateLimitedError with eBay's Retry-After or our wait. */
  private call(request: { path: string; body: unknown; what: string }): Promise<JsonExchange> {
    return withAccessToken(this.token, async (accessToken) => {
      const answer = await callJson(this.http, {
        method: 'POST',
        ...request,
        headers: { Authorization: `Bearer ${accessToken}` },
        answered: [429],
      });
      if (answer.exchange.status === 429) {
        const delay = parseRetryAfter(answer.headers['retry-after']) ?? this.options.throttleRetryMs;
        const serverMessage = answer.exchange.responseBody.slice(0, 500);
        throw new RateLimitedError({ ...exchangeErrorDetails('ebay', answer.exchange), serverMessage }, delay);
      }
      return answer;
    });
  }
}

/** ShipToLocationAvailability as the request schema has it: the total, and the distributions when there are any. */
function toWire({ quantity, distributions }: Availability) {
  return {
    quantity,
    ...(distributions.length === 0
      ? {}
      : {
          availabilityDistributions: distributions.map((d) => ({
            merchantLocationKey: d.merchantLocationKey,
            quantity: d.quantity,
            ...(d.fulfillmentTime === undefined ? {} : { fulfillmentTime: d.fulfillmentTime }),
          })),
        }),
  };
}

/** "<statusCode> <errorId>: <longMessage>" for every error eBay gave; the status alone when it gave none. */
function describe(response: { statusCode: number; errors?: EbayError[] | null }): string {
  const errors = (response.errors ?? []).map((e) => `${e.errorId ?? '?'}: ${e.longMessage ?? e.message ?? ''}`);
  return errors.length > 0
    ? `${response.statusCode} ${errors.join('; ')}`
    : `eBay answered status ${response.statusCode}`;
}
