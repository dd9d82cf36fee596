/**
 * The marketplace face, mounted at the server root (faults for face "marketplace" already apply):
 *
 *   POST /trendyol/integration/inventory/sellers/:sellerId/products/price-and-inventory   -> { batchRequestId }
 *   GET  /trendyol/integration/product/sellers/:sellerId/products/batch-requests/:id       -> batch with item results
 *   POST /shopify/admin/api/:version/graphql.json                                          -> inventorySetQuantities
 *
 * Both check credentials as the real APIs do (Trendyol: User-Agent "<sellerId> - <integrator>" else 403, then HTTP
 * Basic else 401; Shopify: X-Shopify-Access-Token else 401) and answer in the real shapes, errors included.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SHOPIFY_MUTATION_COST, TRENDYOL_REPEAT_MESSAGE, type MarketplaceState } from './marketplace-state';
import type { SandboxState } from './state';

const TRENDYOL_MAX_ITEMS = 1_000;
const SHOPIFY_MAX_INPUT_SIZE = 250;

const sellerParams = z.object({ sellerId: z.string() });
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

const graphqlBody = z.object({ query: z.string(), variables: z.object({ input: z.unknown() }).partial().optional() });

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

    app.post(
      '/trendyol/integration/inventory/sellers/:sellerId/products/price-and-inventory',
      async (request, reply) => {
        const { sellerId } = sellerParams.parse(request.params);
        const denied = trendyolDenial(market, sellerId, request);
        if (denied) return reply.code(denied.status).send(denied.body);
        const body = trendyolBody.safeParse(request.body);
        if (!body.success) {
          const problems = body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
          return reply.code(400).send(trendyolErrors('invalid.request', problems));
        }
        if (body.data.items.length > TRENDYOL_MAX_ITEMS) {
          return reply
            .code(400)
            .send(trendyolErrors('items.size', `Tek seferde en fazla ${TRENDYOL_MAX_ITEMS} ürün gönderilebilir`));
        }
        const accepted = market.acceptTrendyolBatch(sellerId, body.data.items);
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
      const body = graphqlBody.safeParse(request.body);
      if (!body.success || !body.data.query.includes('inventorySetQuantities')) {
        return graphqlErrors('undefinedField', 'The sandbox implements only the inventorySetQuantities mutation');
      }
      const input = setQuantitiesInput.safeParse(body.data.variables?.input);
      if (!input.success) {
        return graphqlErrors(
          'INVALID_VARIABLE',
          `Variable $input of type InventorySetQuantitiesInput! was provided invalid value: ${input.error.issues
            .map((i) => `${i.path.join('.')}: ${i.message}`)
            .join('; ')}`,
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
      const outcome = general.length > 0 ? { userErrors: general } : market.setShopifyQuantities(quantities);
      return {
        data: {
          inventorySetQuantities: {
            inventoryAdjustmentGroup: 'groupId' in outcome && outcome.groupId ? { id: outcome.groupId } : null,
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
