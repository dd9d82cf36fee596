/**
 * The marketplace face, mounted at the server root (faults for face "marketplace" already apply):
 *
 *   POST /trendyol/integration/inventory/sellers/:sellerId/products/price-and-inventory   -> { batchRequestId }
 *   GET  /trendyol/integration/product/sellers/:sellerId/products/batch-requests/:id       -> batch with item results
 *   POST /shopify/admin/api/:version/graphql.json                                          -> inventorySetQuantities
 *
 * Both check credentials as the real APIs do (Trendyol: User-Agent "<sellerId> - <integrator>" else 403, then HTTP
 * Basic else 401; Shopify: X-Shopify-Access-Token else 401) and answer in the real shapes, errors included. Shopify
 * follows the URL's API version: from 2026-04 `@idempotent` and `changeFromQuantity` are required and the compare
 * fields gone (the answers third parties recorded from the real API); `changeFromQuantity` exists from 2026-01.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  SHOPIFY_MUTATION_COST,
  TRENDYOL_REPEAT_MESSAGE,
  type MarketplaceState,
  type ShopifyOutcome,
} from './marketplace-state';
import type { SandboxState } from './state';
import { isHeldQuery, marketplaceReadRoutes, shopifyHeldAnswer } from './marketplace-read-routes';
import { issueLines } from '../../workflows/issues';

const TRENDYOL_MAX_ITEMS = 1_000;
const SHOPIFY_MAX_INPUT_SIZE = 250;

const sellerParams = z.object({ sellerId: z.string() });
const versionParams = z.object({ version: z.string() });
const batchParams = z.object({ sellerId: z.string(), id: z.string() });

const trendyolBody = z.object({
  items: z
    .array(
      z.object({
        barcode: z.string().min(1),
        quantity: z.number().int(),
        salePrice: z.number().positive().optional(),
        listPrice: z.number().positive().optional(),
      }),
    )
    .min(1),
});

const graphqlBody = z.object({ query: z.string(), variables: z.record(z.string(), z.unknown()).optional() });

/** Releases that changed inventorySetQuantities (see the module comment). */
const CHANGE_FROM_QUANTITY_SINCE = '2026-01';
const IDEMPOTENT_SINCE = '2026-04';

const DIRECTIVE_REQUIRED = 'The @idempotent directive is required for this mutation but was not provided.';
const CHANGE_FROM_QUANTITY_REQUIRED = 'InventoryQuantityInput must include the following argument: changeFromQuantity';

/**
 * `inventorySetQuantities(...) @idempotent(key: $var | "literal")`: the directive on the field, after its arguments
 * (not a GraphQL parser; enough for what clients send).
 */
const IDEMPOTENT_DIRECTIVE =
  /\binventorySetQuantities\s*\((?:[^()]|\([^()]*\))*\)\s*@idempotent\s*\(\s*key\s*:\s*(?:\$(\w+)|"((?:[^"\\]|\\.)*)")\s*\)/;

const setQuantitiesInput = z.object({
  name: z.string(),
  reason: z.string(),
  referenceDocumentUri: z.string().optional(),
  ignoreCompareQuantity: z.boolean().optional(),
  quantities: z.array(
    z.object({
      inventoryItemId: z.string(),
      locationId: z.string(),
      quantity: z.number().int(),
      changeFromQuantity: z.number().int().nullish(),
    }),
  ),
});

/** Reasons Shopify accepts for set/adjust (a subset; enough to reject typos). */
const SHOPIFY_REASONS = new Set([
  'correction',
  'cycle_count_available',
  'damaged',
  'movement_created',
  'other',
  'promotion',
  'quality_control',
  'received',
  'restock',
  'safety_stock',
  'shrinkage',
]);

export function marketplaceRoutes(state: SandboxState): FastifyPluginAsync {
  const market = state.marketplace;
  return async (app) => {
    app.addHook('onRequest', async () => market.countRequest());
    await app.register(marketplaceReadRoutes(state, (sellerId, request) => trendyolDenial(market, sellerId, request)));

    app.post(
      '/trendyol/integration/inventory/sellers/:sellerId/products/price-and-inventory',
      async (request, reply) => {
        const { sellerId } = sellerParams.parse(request.params);
        const denied = trendyolDenial(market, sellerId, request);
        if (denied) return reply.code(denied.status).send(denied.body);
        const body = trendyolBody.safeParse(request.body);
        if (!body.success) {
          const problems = issueLines(body.error).join('; ');
          return reply.code(400).send(trendyolErrors('invalid.request', problems));
        }
        if (body.data.items.length > TRENDYOL_MAX_ITEMS) {
          return reply
            .code(400)
            .send(trendyolErrors('items.size', `Tek seferde en fazla ${TRENDYOL_MAX_ITEMS} ürün gönderilebilir`));
        }
        const accepted = market.acceptTrendyolBatch(sellerId, body.data.items);
        // Trendyol documents the text but not the status or body; its one documented error body (400) is the guess.
        if (accepted === 'repeated')
          return reply.code(400).send(trendyolErrors('request.repeated', TRENDYOL_REPEAT_MESSAGE));
        return accepted;
      },
    );

    app.get('/trendyol/integration/product/sellers/:sellerId/products/batch-requests/:id', async (request, reply) => {
      const { sellerId, id } = batchParams.parse(request.params);
      const denied = trendyolDenial(market, sellerId, request);
      if (denied) return reply.code(denied.status).send(denied.body);
      const batch = market.trendyolBatch(id);
      if (!batch) return reply.code(404).send(trendyolErrors('batch.not.found', `Batch request ${id} not found`));
      return batch;
    });

    app.post('/shopify/admin/api/:version/graphql.json', async (request, reply) => {
      if (request.headers['x-shopify-access-token'] !== market.credentials.shopify.accessToken) {
        return reply
          .code(401)
          .send({ errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' });
      }
      const { version } = versionParams.parse(request.params);
      const body = graphqlBody.safeParse(request.body);
      if (body.success && isHeldQuery(body.data.query)) return shopifyHeldAnswer(market, body.data.variables);
      if (!body.success || !body.data.query.includes('inventorySetQuantities')) {
        return graphqlErrors('undefinedField', 'The sandbox implements only the inventorySetQuantities mutation');
      }
      const rawInput = body.data.variables?.input;
      const undefinedField = fieldNotInVersion(version, rawInput);
      if (undefinedField) {
        return graphqlErrors(
          'INVALID_VARIABLE',
          `Variable $input of type InventorySetQuantitiesInput! was provided invalid value for ${undefinedField.path} ` +
            `(Field is not defined on ${undefinedField.type})`,
        );
      }
      const directive = idempotencyKeyOf(body.data.query, body.data.variables ?? {});
      if ('invalid' in directive) {
        return graphqlErrors(
          'INVALID_VARIABLE',
          `Variable $${directive.invalid} of type String! was provided invalid value`,
        );
      }
      const input = setQuantitiesInput.safeParse(rawInput);
      if (!input.success) {
        return graphqlErrors(
          'INVALID_VARIABLE',
          `Variable $input of type InventorySetQuantitiesInput! was provided invalid value: ${issueLines(input.error, 'input').join('; ')}`,
        );
      }
      const { quantities, name, reason } = input.data;
      if (quantities.length > SHOPIFY_MAX_INPUT_SIZE) {
        return graphqlErrors(
          'MAX_INPUT_SIZE_EXCEEDED',
          `The input array size of ${quantities.length} is greater than the maximum allowed of ${SHOPIFY_MAX_INPUT_SIZE}.`,
        );
      }
      const bucket = market.takeShopifyCost();
      const options = market.options;
      const cost = {
        requestedQueryCost: SHOPIFY_MUTATION_COST,
        actualQueryCost: bucket.throttled ? null : SHOPIFY_MUTATION_COST,
        throttleStatus: {
          maximumAvailable: options.shopifyMaximumAvailable,
          currentlyAvailable: bucket.currentlyAvailable,
          restoreRate: options.shopifyRestoreRate,
        },
      };
      if (bucket.throttled) {
        return {
          errors: [
            {
              message: 'Throttled',
              extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' },
            },
          ],
          extensions: { cost },
        };
      }
      if (version >= IDEMPOTENT_SINCE) {
        if (directive.key === undefined) return fieldError('BAD_REQUEST', DIRECTIVE_REQUIRED, cost);
        if (!everyRowNamesChangeFromQuantity(rawInput)) {
          return fieldError('INVALID_FIELD_ARGUMENTS', CHANGE_FROM_QUANTITY_REQUIRED, cost);
        }
      }
      const general = [
        ...(name === 'available' || name === 'on_hand'
          ? []
          : [
              {
                code: 'INVALID_NAME',
                field: ['input', 'name'],
                message: "The quantity name must be either 'available' or 'on_hand'.",
              },
            ]),
        ...(SHOPIFY_REASONS.has(reason)
          ? []
          : [{ code: 'INVALID_REASON', field: ['input', 'reason'], message: 'The specified reason is invalid.' }]),
      ];
      const execute = (): ShopifyOutcome =>
        general.length > 0 ? { userErrors: general } : market.setShopifyQuantities(quantities);
      const outcome =
        directive.key === undefined ? execute() : market.runIdempotent(directive.key, input.data, execute);
      return {
        data: {
          inventorySetQuantities: {
            inventoryAdjustmentGroup: outcome.groupId ? { id: outcome.groupId } : null,
            userErrors: outcome.userErrors,
          },
        },
        extensions: { cost },
      };
    });
  };
}

/** Trendyol's gateway: 403 without a User-Agent naming the seller, 401 for a wrong seller or Basic credentials. */
function trendyolDenial(
  market: MarketplaceState,
  sellerId: string,
  request: FastifyRequest,
): { status: number; body: object } | undefined {
  const expected = market.credentials.trendyol;
  const prefix = `${sellerId} - `;
  const userAgent = request.headers['user-agent'] ?? '';
  if (!userAgent.startsWith(prefix) || userAgent.length === prefix.length) {
    const message = 'User-Agent must be "<sellerId> - <integrator name>" (e.g. "1234 - SelfIntegration")';
    return { status: 403, body: trendyolErrors('forbidden', message) };
  }
  const basic = `Basic ${Buffer.from(`${expected.apiKey}:${expected.apiSecret}`).toString('base64')}`;
  if (sellerId !== expected.sellerId || request.headers.authorization !== basic) {
    const message = 'Authentication failed: wrong seller id, API key or API secret';
    return {
      status: 401,
      body: { exception: 'ClientApiAuthenticationException', ...trendyolErrors('unauthorized', message) },
    };
  }
  return undefined;
}

function trendyolErrors(key: string, message: string) {
  return { errors: [{ key, message, errorCode: key }] };
}

/** GraphQL reports request-level errors with HTTP 200 and no data. */
function graphqlErrors(code: string, message: string) {
  return { errors: [{ message, extensions: { code } }] };
}

/** An error raised while resolving the mutation field: data names the field as null. */
function fieldError(code: string, message: string, cost: object) {
  return {
    data: { inventorySetQuantities: null },
    errors: [{ message, path: ['inventorySetQuantities'], extensions: { code } }],
    extensions: { cost },
  };
}

/** An input field the URL's version does not define: the compare fields from 2026-04, changeFromQuantity before 2026-01. */
function fieldNotInVersion(version: string, input: unknown): { path: string; type: string } | undefined {
  if (!isObject(input)) return undefined;
  const quantities = Array.isArray(input.quantities) ? input.quantities : [];
  const rowField = (field: string) => {
    const index = quantities.findIndex((row) => isObject(row) && field in row);
    return index < 0 ? undefined : { path: `quantities.${index}.${field}`, type: 'InventoryQuantityInput' };
  };
  if (version >= IDEMPOTENT_SINCE) {
    if ('ignoreCompareQuantity' in input) return { path: 'ignoreCompareQuantity', type: 'InventorySetQuantitiesInput' };
    return rowField('compareQuantity');
  }
  return version < CHANGE_FROM_QUANTITY_SINCE ? rowField('changeFromQuantity') : undefined;
}

/** Mandatory from 2026-04: explicitly present on every row, null included. */
function everyRowNamesChangeFromQuantity(input: unknown): boolean {
  const quantities = isObject(input) && Array.isArray(input.quantities) ? input.quantities : [];
  return quantities.every((row) => isObject(row) && 'changeFromQuantity' in row);
}

/** The `@idempotent` key (a literal, or the named variable, which must then be a non-empty string). */
function idempotencyKeyOf(query: string, variables: Record<string, unknown>): { key?: string } | { invalid: string } {
  const match = IDEMPOTENT_DIRECTIVE.exec(query);
  if (!match) return {};
  const [, variable, literal] = match;
  if (variable === undefined) return { key: literal };
  const value = variables[variable];
  return typeof value === 'string' && value !== '' ? { key: value } : { invalid: variable };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
