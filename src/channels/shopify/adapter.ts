/**
 * Shopify: synchronous, GraphQL `inventorySetQuantities` (absolute "available" quantities per inventory item and
 * location). The mutation is treated as all-or-nothing: Shopify's payload has one adjustment group and the docs
 * promise no partial application, so after any userError nothing may have been applied. To give Omnitron a truthful
 * per-item answer, rows named in userErrors fail with Shopify's message and the other rows are sent once more
 * without them (at most {@link MAX_CALLS} row sets a send); rows still unapplied after that fail as "not applied".
 *
 * Each API version gets its own inventory rules: from 2026-04 every call carries `@idempotent` with a key derived
 * from the send's identity and the call's rows (a Temporal retry of the same rows reuses it, so Shopify answers the
 * first outcome instead of applying twice) and `changeFromQuantity: null` on every row; 2026-01 sends only the latter;
 * older versions skip the compare check with `ignoreCompareQuantity`.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { createHttpClient } from '../../http/client';
import {
  ClientRequestError,
  type HttpErrorDetails,
  parseResponse,
  RateLimitedError,
  ServerError,
  TransientError,
} from '../../http/errors';
import { BaseChannelAdapter, callJson, exchangeErrorDetails, failedResult } from '../base';
import { type AdapterOptions, commonChannelFields } from '../config';
import type {
  BatchCheck,
  ChannelExchange,
  ChannelItem,
  ChannelLimits,
  HeldQuantity,
  ItemResult,
  SendContext,
  SendOutcome,
} from '../port';

/** The newest stable Admin API release as of 2026-12 (2027-01 is a release candidate); the default of a channel. */
export const SHOPIFY_DEFAULT_API_VERSION = '2026-10';

export const SHOPIFY_DEFAULT_LIMITS: ChannelLimits = {
  // Shopify caps every GraphQL input array at 250 elements (MAX_INPUT_SIZE_EXCEEDED above that).
  itemsPerRequest: 250,
  // Cost-based limit: 100 points/s on the Standard plan, a mutation costs ~10; 2/s leaves room for the merchant's apps.
  requestsPerSecond: 2,
  // INVALID_QUANTITY_TOO_HIGH above 1,000,000,000.
  maxQuantity: 1_000_000_000,
  // `nodes(ids:)` takes the general 250-element input cap too.
  readItemsPerRequest: 250,
};

/** The first row set plus one resend without the rows Shopify named. */
const MAX_CALLS = 2;

/** From this release `changeFromQuantity` exists (null skips the compare-and-swap check). */
const CHANGE_FROM_QUANTITY_SINCE = '2026-01';
/** From this release `@idempotent` and `changeFromQuantity` are mandatory and the compare fields are gone. */
const IDEMPOTENT_SINCE = '2026-04';
/**
 * A key whose earlier attempt failed is replaced by the next generation's at once, at most this often a call (a
 * second refusal fails the rows: something other than our own earlier attempt is wrong).
 */
const MAX_KEY_GENERATION = 1;

export const shopifyConfig = z
  .object({
    adapter: z.literal('shopify'),
    accessToken: z.string().min(1),
    /** Any quarterly release; the newest stable one by default. The adapter speaks each one's inventory rules. */
    apiVersion: z
      .string()
      .regex(/^\d{4}-(01|04|07|10)$/, 'expected a release like 2026-10')
      .default(SHOPIFY_DEFAULT_API_VERSION),
    /** Location for items without a warehouse code (the main stock list); without it such items are refused. */
    defaultLocationId: z
      .string()
      .regex(/^gid:\/\/shopify\/Location\/\d+$/, 'expected gid://shopify/Location/<id>')
      .optional(),
    ...commonChannelFields,
  })
  .strict();

const SELECTION = `{
    inventoryAdjustmentGroup { id }
    userErrors { code field message }
  }`;

const MUTATION = `mutation StockflowSetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) ${SELECTION}
}`;

/** Shopify places the directive on the mutation field, after its arguments. */
const IDEMPOTENT_MUTATION = `mutation StockflowSetQuantities($input: InventorySetQuantitiesInput!, $idempotencyKey: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $idempotencyKey) ${SELECTION}
}`;

const LOCATION_GID = /^gid:\/\/shopify\/Location\/\d+$/;

/** What a location holds of each inventory item: `available` of its inventory level (null: not stocked there). */
const HELD_QUERY = `query StockflowHeldQuantities($ids: [ID!]!, $locationId: ID!) {
  nodes(ids: $ids) {
    ... on InventoryItem { id inventoryLevel(locationId: $locationId) { quantities(names: ["available"]) { name quantity } } }
  }
}`;

const graphqlErrors = {
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
};

const heldResponse = z.object({
  data: z
    .object({
      nodes: z.array(
        z
          .object({
            id: z.string().optional(),
            inventoryLevel: z
              .object({ quantities: z.array(z.object({ name: z.string(), quantity: z.number().int() })) })
              .nullish(),
          })
          .nullable(),
      ),
    })
    .nullish(),
  ...graphqlErrors,
});

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
  ...graphqlErrors,
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

  constructor(private readonly options: AdapterOptions<typeof shopifyConfig>) {
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
    context: SendContext,
  ): Promise<SendOutcome> {
    const exchanges: ChannelExchange[] = [];
    // refusal() let through only items with a location.
    const rows: Row[] = items.map((item) => ({ item, locationId: this.locationOf(item) ?? '' }));
    let pending = rows;
    for (let call = 1; pending.length > 0; call++) {
      const userErrors = await this.setRows(pending, context, exchanges);
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

  /**
   * One row set, under its idempotency key where the version takes one. IDEMPOTENCY_CONCURRENT_REQUEST (the same
   * call is still running at Shopify, e.g. after our timeout) is thrown as retryable; IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED
   * is answered by the next generation's key at once. Other userErrors go back to the caller.
   */
  private async setRows(
    rows: readonly Row[],
    context: SendContext,
    exchanges: ChannelExchange[],
  ): Promise<UserError[]> {
    for (let generation = 0; ; generation++) {
      const { userErrors, exchange } = await this.setQuantities(rows, context, generation);
      exchanges.push(exchange);
      const concurrent = userErrors.filter((e) => e.code === 'IDEMPOTENCY_CONCURRENT_REQUEST');
      if (concurrent.length > 0) {
        throw new TransientError({
          ...exchangeErrorDetails('shopify', exchange),
          serverMessage: concurrent.map(describe).join('; '),
        });
      }
      const previousFailed = userErrors.some((e) => e.code === 'IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED');
      if (!previousFailed || generation === MAX_KEY_GENERATION) return userErrors;
    }
  }

  /** Available quantity per inventory item at its location (the default location for items without a code). */
  async readQuantities(items: readonly Pick<ChannelItem, 'remoteId' | 'warehouseCode'>[]): Promise<HeldQuantity[]> {
    this.refuseOverLimit(items.length, 'read');
    const held = new Map<string, number | null>();
    const byLocation = new Map<string, string[]>();
    for (const item of items) {
      const location = item.warehouseCode ?? this.options.defaultLocationId;
      if (location === undefined || !LOCATION_GID.test(location)) continue; // no location: nothing held there
      byLocation.set(location, [...(byLocation.get(location) ?? []), item.remoteId]);
    }
    for (const [locationId, ids] of byLocation) {
      const { data, exchange } = await callJson(this.http, {
        method: 'POST',
        path: this.path,
        body: { query: HELD_QUERY, variables: { ids, locationId } },
        what: 'shopify inventory levels',
      });
      const response = parseResponse(heldResponse, data, 'shopify inventory levels');
      if (response.errors?.length) throw this.topLevelError(response, exchange);
      (response.data?.nodes ?? []).forEach((node, index) => {
        const available = node?.inventoryLevel?.quantities.find((q) => q.name === 'available');
        held.set(`${locationId}\0${ids[index]}`, available ? available.quantity : null);
      });
    }
    return items.map((item) => ({
      remoteId: item.remoteId,
      quantity: held.get(`${item.warehouseCode ?? this.options.defaultLocationId}\0${item.remoteId}`) ?? null,
    }));
  }

  private async setQuantities(
    rows: readonly Row[],
    context: SendContext,
    generation: number,
  ): Promise<{ userErrors: UserError[]; exchange: ChannelExchange }> {
    const version = this.options.apiVersion;
    const idempotent = version >= IDEMPOTENT_SINCE;
    const changeFrom = version >= CHANGE_FROM_QUANTITY_SINCE;
    const input = {
      name: 'available',
      reason: 'correction',
      referenceDocumentUri: 'gid://stockflow/StockSync/omnitron',
      ...(changeFrom ? {} : { ignoreCompareQuantity: true }),
      quantities: rows.map((row) => ({
        inventoryItemId: row.item.remoteId,
        locationId: row.locationId,
        quantity: row.item.quantity,
        // Omnitron is the source of truth for these quantities: null opts out of compare-and-swap (an absolute set).
        ...(changeFrom ? { changeFromQuantity: null } : {}),
      })),
    };
    const body = idempotent
      ? {
          query: IDEMPOTENT_MUTATION,
          variables: { input, idempotencyKey: idempotencyKey(context.sendKey, rows, generation) },
        }
      : { query: MUTATION, variables: { input } };
    const { data, exchange } = await callJson(this.http, {
      method: 'POST',
      path: this.path,
      body,
      what: 'shopify inventorySetQuantities',
    });
    const response = parseResponse(graphqlResponse, data, 'shopify inventorySetQuantities');
    if (response.errors?.length) throw this.topLevelError(response, exchange);
    const payload = response.data?.inventorySetQuantities;
    if (!payload) throw this.topLevelError({ errors: [{ message: 'no inventorySetQuantities payload' }] }, exchange);
    return { userErrors: payload.userErrors, exchange };
  }

  /** GraphQL answers 200 with top-level errors; THROTTLED is a rate limit, the rest a rejected or failed request. */
  private topLevelError(response: Pick<GraphqlResponse, 'errors' | 'extensions'>, exchange: ChannelExchange) {
    const errors = response.errors ?? [];
    const details: HttpErrorDetails = {
      ...exchangeErrorDetails('shopify', exchange),
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
    const message = describe(error);
    if (Number.isInteger(row) && row >= 0 && row < rowCount) byRow.set(row, [...(byRow.get(row) ?? []), message]);
    else general.push(message);
  }
  return { byRow, general };
}

/** Keys are derived from the call's rows, so one key with other parameters can only be a stockflow bug: say so. */
function describe(error: UserError): string {
  const text = error.code ? `${error.code}: ${error.message}` : error.message;
  return error.code === 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH'
    ? `${text} (stockflow derived one idempotency key for different rows: a bug, please report it)`
    : text;
}

/**
 * The call's idempotency key: sha256 over the send's identity, the rows (item, location, quantity) and, past the
 * first, the key generation, as an RFC 9562 version-8 UUID (Shopify recommends UUIDs). Deterministic, so every retry
 * of the same rows of the same send carries the same key, and a resend of fewer rows a new one.
 */
function idempotencyKey(sendKey: string, rows: readonly Row[], generation: number): string {
  const material = [
    'stockflow/inventorySetQuantities',
    sendKey,
    rows.map((row) => [row.item.remoteId, row.locationId, row.item.quantity]),
    ...(generation > 0 ? [generation] : []),
  ];
  const bytes = createHash('sha256').update(JSON.stringify(material)).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function withLocation(row: Row): ChannelItem {
  return { ...row.item, warehouseCode: row.locationId };
}

function succeeded(row: Row): ItemResult {
  return { remoteId: row.item.remoteId, sku: row.item.sku, warehouseCode: row.locationId, status: 'success' };
}
