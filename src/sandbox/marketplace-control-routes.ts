/**
 * Control endpoints of the sandbox marketplaces, mounted under /control/marketplace:
 *
 *   GET /control/marketplace/trendyol/quantities[?barcodes=a,b]
 *       -> { "<barcode>": <quantity> } as applied by completed batches (only the named barcodes when given)
 *   GET /control/marketplace/shopify/quantities
 *       -> { "<inventoryItemId>": { "<locationId>": <available> } }
 *   GET /control/marketplace/<face>/quantities, GET /control/marketplace/<face>/stats   (hepsiburada, n11, amazon, ebay)
 *       -> { "<sku>" or "<sku>@<warehouse>": <quantity> }, and the face's FaceStats
 *   GET /control/marketplace/stats
 *       -> { requests, batchesAccepted, batchesCompleted, repeatedBodyRejections, itemFailures, shopifyMutations,
 *            shopifyThrottled, trendyolBodiesAcceptedAgain, shopifyMutationsAppliedAgain, shopifyIdempotentReplays }
 *   GET /control/marketplace/options
 *       -> current options (below)
 *   PUT /control/marketplace/options { batchDelayMs?, repeatWindowMs?, trendyolResultRetentionMs?, shopifyLocations?,
 *       shopifyMaximumAvailable?, shopifyRestoreRate? } -> the options now in force; 400 naming each bad field
 *   GET /control/marketplace/shopify/idempotency-fault
 *       -> { code, remaining } ({ code: null, remaining: 0 } when none is pending)
 *   PUT /control/marketplace/shopify/idempotency-fault { code: IDEMPOTENCY_CONCURRENT_REQUEST |
 *       IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED, count: 0..1000 }
 *       -> the next `count` mutations carrying an @idempotent key answer that userError (0 clears); 400 beyond 1000
 *
 * Reading quantities or stats completes every asynchronous batch or job that is due, so they show what a poll would see.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { marketplaceTunablesSchema, SHOPIFY_IDEMPOTENCY_FAULTS } from './marketplace-state';
import { onlyGiven } from './http-helpers';
import type { SandboxState } from './state';
import { drfFieldErrors } from '../../workflows/issues';

const quantitiesQuery = z.object({ barcodes: z.string().optional() });
const optionsBody = marketplaceTunablesSchema.partial().strict();
/** Enough for any test; a larger count is a typo, refused rather than silently breaking the face for hours. */
const MAX_FAULTED_MUTATIONS = 1_000;
const idempotencyFaultBody = z
  .object({
    code: z.enum(SHOPIFY_IDEMPOTENCY_FAULTS),
    count: z.number().int().min(0).max(MAX_FAULTED_MUTATIONS, `at most ${MAX_FAULTED_MUTATIONS} mutations at a time`),
  })
  .strict();

export function marketplaceControlRoutes(state: SandboxState): FastifyPluginAsync {
  const market = state.marketplace;
  return async (app) => {
    app.get('/trendyol/quantities', async (request) => {
      const { barcodes } = quantitiesQuery.parse(request.query);
      return market.trendyolQuantitiesOf(barcodes?.split(',').filter(Boolean));
    });

    app.get('/shopify/quantities', async () => market.shopifyQuantities());

    app.get('/stats', async () => market.stats());

    // The faces of src/sandbox/faces: what each holds ("sku" or "sku@warehouse") and its own counters.
    for (const face of market.faces) {
      app.get(`/${face.adapter}/quantities`, async () => face.heldQuantities());
      app.get(`/${face.adapter}/stats`, async () => face.stats());
    }

    app.get('/options', async () => market.options);

    app.put('/options', async (request, reply) => {
      const body = optionsBody.safeParse(request.body ?? {});
      if (!body.success) return reply.code(400).send(drfFieldErrors(body.error));
      return market.setOptions(onlyGiven(body.data, request.body));
    });

    app.get('/shopify/idempotency-fault', async () => market.shopifyIdempotencyFault());

    app.put('/shopify/idempotency-fault', async (request, reply) => {
      const body = idempotencyFaultBody.safeParse(request.body ?? {});
      if (!body.success) return reply.code(400).send(drfFieldErrors(body.error));
      return market.setShopifyIdempotencyFault(body.data.code, body.data.count);
    });
  };
}
