/**
 * Shopify: synchronous, GraphQL `inventorySetQuantities` (absolute "available" quantities per inventory item and
 * location). The mutation is treated as all-or-nothing: Shopify's payload has one adjustment group and the docs
 * promise no partial application, so after any userError nothing may have been applied. To give Omnitron a truthful
 * per-item answer, rows named in userErrors fail with Shopify's message and the other rows are sent once more
 * without them (at most {@link MAX_CALLS} calls a send); rows still unapplied after that fail as "not applied".
 */
import { z } from 'zod';
import { createHttpClient } from '../../http/client';
import {
  ClientRequestError,
  type HttpErrorDetails,
  parseResponse,
  RateLimitedError,
  ServerError,
} from '../../http/errors';
import { BaseChannelAdapter, callJson, failedResult } from '../base';
import type {
  BatchCheck,
  ChannelExchange,
  ChannelItem,
  ChannelLimits,
  ItemResult,
  SendContext,
  SendOutcome,
} from '../port';

export const SHOPIFY_DEFAULT_LIMITS: ChannelLimits = {
  // Shopify caps every GraphQL input array at 250 elements (MAX_INPUT_SIZE_EXCEEDED above that).
  itemsPerRequest: 250,
  // Cost-based limit: 100 points/s on the Standard plan, a mutation costs ~10; 2/s leaves room for the merchant's apps.
  requestsPerSecond: 2,
  // INVALID_QUANTITY_TOO_HIGH above 1,000,000,000.
  maxQuantity: 1_000_000_000,
};

/** The first call plus one resend without the rows Shopify named. */
const MAX_CALLS = 2;

export interface ShopifyAdapterOptions {
  baseURL: string;
  accessToken: string;
  /** e.g. "2026-01"; from 2026-01 on, compare-and-swap is skipped per row with changeFromQuantity: null. */
  apiVersion: string;
  /** Location for items without a warehouse code (the main stock list); without it such items are refused. */
  defaultLocationId?: string;
  limits: ChannelLimits;
  timeoutMs?: number;
}

const MUTATION = `mutation StockflowSetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }
}`;

const LOCATION_GID = /^gid:\/\/shopify\/Location\/\d+$/;

const graphqlResponse = z.object({
  data: z
    .object({
      inventorySetQuantities: z
        .object({
          userErrors: z.array(
            z.object({ code: z.string().nullish(), field: z.array(z.string()).nullish(), message: z.string() }),
          ),
        })
        .nullish(),
    })
    .nullish(),
  errors: z
    .array(z.object({ message: z.string(), extensions: z.object({ code: z.string() }).partial().nullish() }))
    .optional(),
  extensions: z
    .object({
      cost: z.object({
        requestedQueryCost: z.number(),
        throttleStatus: z.object({ currentlyAvailable: z.number(), restoreRate: z.number() }),
      }),
    })
    .partial()
    .optional(),
});
type GraphqlResponse = z.infer<typeof graphqlResponse>;
type UserError = NonNullable<NonNullable<GraphqlResponse['data']>['inventorySetQuantities']>['userErrors'][number];

interface Row {
  item: ChannelItem;
  locationId: string;
  result?: ItemResult;
}

export class ShopifyAdapter extends BaseChannelAdapter {
  private readonly http;
  private readonly path: string;

  constructor(private readonly options: ShopifyAdapterOptions) {
    super({ name: 'shopify', mode: 'sync', hasWarehouses: true, limits: options.limits });
    this.http = createHttpClient({
      api: 'shopify',
      baseURL: options.baseURL,
      timeoutMs: options.timeoutMs,
      headers: { 'X-Shopify-Access-Token': options.accessToken },
    });
    this.path = `admin/api/${encodeURIComponent(options.apiVersion)}/graphql.json`;
  }

  checkBatch(): Promise<BatchCheck> {
    return Promise.reject(new Error('shopify is synchronous: its sends answer per item at once, there is no batch'));
  }

  private locationOf(item: ChannelItem): string | undefined {
    return item.warehouseCode ?? this.options.defaultLocationId;
  }

  protected override refusal(item: ChannelItem): string | undefined {
    const location = this.locationOf(item);
    if (location === undefined) return 'no Shopify location: no warehouse code and no default location configured';
    if (!LOCATION_GID.test(location)) return `warehouse code ${location} is not a Shopify location gid`;
    return super.refusal(item);
  }

  protected async send(
    items: readonly ChannelItem[],
    refused: ItemResult[],
    _context: SendContext,
  ): Promise<SendOutcome> {
    const exchanges: ChannelExchange[] = [];
    // refusal() let through only items with a location.
    const rows: Row[] = items.map((item) => ({ item, locationId: this.locationOf(item) ?? '' }));
    let pending = rows;
    for (let call = 1; pending.length > 0; call++) {
      const { userErrors, exchange } = await this.setQuantities(pending);
      exchanges.push(exchange);
      if (userErrors.length === 0) {
        for (const row of pending) row.result = succeeded(row);
        break;
      }
      const { byRow, general } = attributeErrors(userErrors, pending.length);
      pending.forEach((row, index) => {
        const messages = byRow.get(index);
        if (messages) row.result = failedResult(withLocation(row), messages.join('; '));
      });
      const rest = pending.filter((_, index) => !byRow.has(index));
      if (general.length > 0 || call === MAX_CALLS) {
        const why = general.length > 0 ? general.join('; ') : 'Shopify rejected the whole mutation for other rows';
        for (const row of rest) row.result = failedResult(withLocation(row), `not applied: ${why}`);
        break;
      }
      pending = rest;
    }
    // Every row got its verdict above: applied, named in a userError, or not applied.
    return { mode: 'sync', results: [...refused, ...rows.map((row) => row.result!)], exchanges };
  }

  private async setQuantities(rows: readonly Row[]): Promise<{ userErrors: UserError[]; exchange: ChannelExchange }> {
    const casByRow = this.options.apiVersion >= '2026-01';
    const input = {
      name: 'available',
      reason: 'correction',
      referenceDocumentUri: 'gid://stockflow/StockSync/omnitron',
      ...(casByRow ? {} : { ignoreCompareQuantity: true }),
      quantities: rows.map((row) => ({
        inventoryItemId: row.item.remoteId,
        locationId: row.locationId,
        quantity: row.item.quantity,
        // Omnitron is the source of truth for these quantities: no compare-and-swap.
        ...(casByRow ? { changeFromQuantity: null } : {}),
      })),
    };
    const { data, exchange } = await callJson(this.http, {
      method: 'POST',
      path: this.path,
      body: { query: MUTATION, variables: { input } },
      what: 'shopify inventorySetQuantities',
    });
    const response = parseResponse(graphqlResponse, data, 'shopify inventorySetQuantities');
    if (response.errors?.length) throw this.topLevelError(response, exchange);
    const payload = response.data?.inventorySetQuantities;
    if (!payload) throw this.topLevelError({ errors: [{ message: 'no inventorySetQuantities payload' }] }, exchange);
    return { userErrors: payload.userErrors, exchange };
  }

  /** GraphQL answers 200 with top-level errors; THROTTLED is a rate limit, the rest a rejected or failed request. */
  private topLevelError(response: GraphqlResponse, exchange: ChannelExchange) {
    const errors = response.errors ?? [];
    const details: HttpErrorDetails = {
      api: 'shopify',
      method: 'POST',
      path: new URL(exchange.url).pathname,
      status: exchange.status,
      serverMessage: errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '),
    };
    const codes = new Set(errors.map((e) => e.extensions?.code));
    if (codes.has('THROTTLED')) return new RateLimitedError(details, throttleDelayMs(response));
    if (codes.has('INTERNAL_SERVER_ERROR')) return new ServerError(details);
    return new ClientRequestError(details);
  }
}

/** Time until the bucket holds the requested cost again; 1 s when Shopify gave no cost data. */
function throttleDelayMs(response: GraphqlResponse): number {
  const cost = response.extensions?.cost;
  if (!cost || cost.throttleStatus.restoreRate <= 0) return 1_000;
  const missing = cost.requestedQueryCost - cost.throttleStatus.currentlyAvailable;
  return Math.max(1_000, Math.ceil((missing / cost.throttleStatus.restoreRate) * 1_000));
}

/** userError `field` paths like ["input","quantities","3","quantity"] name a row; others concern the whole call. */
function attributeErrors(userErrors: UserError[], rowCount: number) {
  const byRow = new Map<number, string[]>();
  const general: string[] = [];
  for (const error of userErrors) {
    const [input, quantities, index] = error.field ?? [];
    const row = input === 'input' && quantities === 'quantities' ? Number(index) : NaN;
    const message = error.code ? `${error.code}: ${error.message}` : error.message;
    if (Number.isInteger(row) && row >= 0 && row < rowCount) byRow.set(row, [...(byRow.get(row) ?? []), message]);
    else general.push(message);
  }
  return { byRow, general };
}

function withLocation(row: Row): ChannelItem {
  return { ...row.item, warehouseCode: row.locationId };
}

function succeeded(row: Row): ItemResult {
  return { remoteId: row.item.remoteId, sku: row.item.sku, warehouseCode: row.locationId, status: 'success' };
}
