/**
 * What the sandbox marketplaces hold, read the way reconciliation reads the real ones:
 *
 *   GET /trendyol/integration/product/sellers/:sellerId/products/approved/inventory-and-price?barcodes=a,b&size=
 *       Trendyol's V2 approved-products filter: at most 50 barcodes, `size` at most 100; products with their variants'
 *       `quantity` (0 until a quantity was set); a barcode no product has is simply not in `content`.
 *   POST /shopify/admin/api/:version/graphql.json  `query { nodes(ids:) { ... on InventoryItem { inventoryLevel(
 *       locationId:) { quantities(names: ["available"]) } } } }` — answered by {@link shopifyHeldAnswer}: an unknown
 *       item is a null node, an item not stocked at the location a null inventoryLevel. Costs like a mutation.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { SHOPIFY_MUTATION_COST, type MarketplaceState } from './marketplace-state';
import type { SandboxState } from './state';
import { issueLines } from '../../workflows/issues';

const TRENDYOL_MAX_BARCODES = 50;
const TRENDYOL_MAX_SIZE = 100;
const SHOPIFY_MAX_INPUT_SIZE = 250;

const inventoryQuery = z.object({
  barcodes: z.string().optional(),
  barcode: z.string().optional(),
  size: z.coerce.number().int().min(1).max(TRENDYOL_MAX_SIZE).optional(),
  page: z.coerce.number().int().min(0).optional(),
});

const heldVariables = z.object({ ids: z.array(z.string()), locationId: z.string() });

/** Whether a GraphQL document is the held-quantities query (not the mutation). */
export function isHeldQuery(query: string): boolean {
  return /\bnodes\s*\(/.test(query) && !query.includes('inventorySetQuantities');
}

export function shopifyHeldAnswer(market: MarketplaceState, variables: unknown): object {
  const parsed = heldVariables.safeParse(variables);
  if (!parsed.success) {
    return {
      errors: [
        {
          message: 'Variable $ids of type [ID!]! was provided invalid value',
          extensions: { code: 'INVALID_VARIABLE' },
        },
      ],
    };
  }
  const { ids, locationId } = parsed.data;
  if (ids.length > SHOPIFY_MAX_INPUT_SIZE) {
    return {
      errors: [
        {
          message: `The input array size of ${ids.length} is greater than the maximum allowed of ${SHOPIFY_MAX_INPUT_SIZE}.`,
          extensions: { code: 'MAX_INPUT_SIZE_EXCEEDED' },
        },
      ],
    };
  }
  const bucket = market.takeShopifyCost();
  if (bucket.throttled) {
    return {
      errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED' } }],
      extensions: { cost: costOf(market, bucket) },
    };
  }
  const nodes = ids.map((id) => {
    if (!market.isShopifyItem(id)) return null;
    const available = market.shopifyHeld(id, locationId);
    return {
      id,
      inventoryLevel: available === undefined ? null : { quantities: [{ name: 'available', quantity: available }] },
    };
  });
  return { data: { nodes }, extensions: { cost: costOf(market, bucket) } };
}

function costOf(market: MarketplaceState, bucket: { throttled: boolean; currentlyAvailable: number }) {
  const options = market.options;
  return {
    requestedQueryCost: SHOPIFY_MUTATION_COST,
    actualQueryCost: bucket.throttled ? null : SHOPIFY_MUTATION_COST,
    throttleStatus: {
      maximumAvailable: options.shopifyMaximumAvailable,
      currentlyAvailable: bucket.currentlyAvailable,
      restoreRate: options.shopifyRestoreRate,
    },
  };
}

/** The Trendyol read route; `denied` is the face's own credential check (User-Agent, Basic auth). */
export function marketplaceReadRoutes(
  state: SandboxState,
  denied: (sellerId: string, request: FastifyRequest) => { status: number; body: object } | undefined,
): FastifyPluginAsync {
  const market = state.marketplace;
  return async (app) => {
    app.get(
      '/trendyol/integration/product/sellers/:sellerId/products/approved/inventory-and-price',
      async (request: FastifyRequest, reply: FastifyReply) => {
        const { sellerId } = request.params as { sellerId: string };
        const refusal = denied(sellerId, request);
        if (refusal) return reply.code(refusal.status).send(refusal.body);
        const query = inventoryQuery.safeParse(request.query);
        const barcodes = [
          ...(query.data?.barcodes?.split(',').filter(Boolean) ?? []),
          ...(query.data?.barcode ? [query.data.barcode] : []),
        ];
        if (!query.success || barcodes.length > TRENDYOL_MAX_BARCODES) {
          const message = query.success
            ? `barcodes: at most ${TRENDYOL_MAX_BARCODES} a request`
            : issueLines(query.error, 'query').join('; ');
          return reply.code(400).send({ errors: [{ key: 'invalid.request', message, errorCode: 'invalid.request' }] });
        }
        const content = barcodes.flatMap((barcode) => {
          const quantity = market.trendyolHeld(barcode);
          if (quantity === undefined) return [];
          return [
            {
              contentId: barcode,
              productMainId: barcode,
              variants: [
                { variantId: barcode, barcode, quantity, salePrice: null, listPrice: null, stockCode: barcode },
              ],
            },
          ];
        });
        return {
          totalElements: content.length,
          totalPages: content.length > 0 ? 1 : 0,
          page: query.data.page ?? 0,
          size: query.data.size ?? 50,
          nextPageToken: null,
          content,
        };
      },
    );
  };
}
