/**
 * `npm run bench`'s marketplace rows: updateProductStocks on every adapter added after Trendyol and Shopify
 * (channels 3-6), each at its real default limits against a sandbox face answering its documented request budgets
 * (the throttling signal included), so each row is a rate-limited run against the bound its own limits give: every
 * marketplace request a run must make (a send per page, and at least one check per asynchronous batch) at the
 * adapter's declared requests per second.
 */
import type { FaceStats } from '../src/sandbox/faces/face';
import { flowTuning, log, measureStockflow, stackDeps, timedWorkload, withStack } from './measure';
import type { BenchSettings, MarketplaceResult } from './results';
import type { StackOptions } from './stack';

/** Hepsiburada, N11, Amazon (asynchronous) and eBay (synchronous), as seeded. */
export const MARKETPLACE_CHANNELS = [3, 4, 5, 6];

export async function benchMarketplaces(
  temporal: StackOptions['temporal'],
  stocks: number,
  settings: BenchSettings,
): Promise<MarketplaceResult[]> {
  return withStack({ temporal, channels: MARKETPLACE_CHANNELS }, async (stack) => {
    const results: MarketplaceResult[] = [];
    for (const channelId of MARKETPLACE_CHANNELS) {
      // Fresh clients per row: each workload reseeds the sandbox, which forgets every Omnitron token, and one client
      // logs in at most 3 times in 6 minutes (src/omnitron/session.ts).
      const deps = stackDeps(stack);
      const { descriptor } = deps.channelAdapter(channelId);
      const { itemsPerRequest, requestsPerSecond } = descriptor.limits;
      log(`channel ${channelId} (${descriptor.name}) at its default limits: ${stocks} stocks`);
      const workload = await timedWorkload(
        stack,
        deps,
        channelId,
        stocks,
        { options: { batchDelayMs: settings.batchDelayMs, budgetScale: 1 }, faults: { requestsPerSecond: 0 } },
        [],
      );
      const stockflow = await measureStockflow(stack, deps, workload, flowTuning(settings));
      const face = await stack.control<FaceStats>('GET', `marketplace/${descriptor.name}/stats`);
      const sends = Math.ceil(stocks / itemsPerRequest);
      const requests = sends * (descriptor.mode === 'async' ? 2 : 1);
      log(`  stockflow ${(stockflow.wallMs / 1000).toFixed(1)} s, ${face.throttled} throttled`);
      results.push({
        channelId,
        marketplace: descriptor.name,
        mode: descriptor.mode,
        itemsPerRequest,
        requestsPerSecond,
        workload,
        stockflow,
        boundMs: (requests / requestsPerSecond) * 1000,
        marketplaceRequests: face.requests,
        throttled: face.throttled,
      });
    }
    return results;
  });
}
