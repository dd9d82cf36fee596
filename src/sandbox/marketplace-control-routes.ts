/**
 * Control endpoints of the sandbox marketplaces, mounted under /control/marketplace:
 *
 *   GET /control/marketplace/trendyol/quantities[?barcodes=a,b]
 *       -> { "<barcode>": <quantity> } as applied by completed batches (only the named barcodes when given)
 *   GET /control/marketplace/shopify/quantities
 *       -> { "<inventoryItemId>": { "<locationId>": <available> } }
 *   GET /control/marketplace/stats
 *       -> { requests, batchesAccepted, batchesCompleted, repeatedBodyRejections, itemFailures, shopifyMutations,
 *            shopifyThrottled, trendyolBodiesAcceptedAgain, shopifyMutationsAppliedAgain }
 *   GET /control/marketplace/options
 *       -> current options (below)
 *   PUT /control/marketplace/options { batchDelayMs?, repeatWindowMs?, shopifyLocations?, shopifyMaximumAvailable?,
 *       shopifyRestoreRate? } -> the options now in force; 400 naming each bad field
 *
 * Reading quantities or stats completes every Trendyol batch that is due, so they show what a poll would see.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { marketplaceTunablesSchema } from './marketplace-state';
import { onlyGiven } from './http-helpers';
import type { SandboxState } from './state';

const quantitiesQuery = z.object({ barcodes: z.string().optional() });
const optionsBody = marketplaceTunablesSchema.partial().strict();

export function marketplaceControlRoutes(state: SandboxState): FastifyPluginAsync {
  const market = state.marketplace;
  return async (app) => {
    app.get('/trendyol/quantities', async (request) => {
      const { barcodes } = quantitiesQuery.parse(request.query);
      return market.trendyolQuantitiesOf(barcodes?.split(',').filter(Boolean));
    });

    app.get('/shopify/quantities', async () => market.shopifyQuantities());

    app.get('/stats', async () => market.stats());

    app.get('/options', async () => market.options);

    app.put('/options', async (request, reply) => {
      const body = optionsBody.safeParse(request.body ?? {});
      if (!body.success) {
        return reply
          .code(400)
          .send(Object.fromEntries(body.error.issues.map((i) => [i.path.join('.') || 'body', [i.message]])));
      }
      return market.setOptions(onlyGiven(body.data, request.body));
    });
  };
}
