/**
 * The workload every measured run faces: exactly N product stocks in one channel's Omnitron `updates/`, rebuilt from
 * a fresh deterministic seed before each run, so stockflow and both baselines start from the same state.
 *
 * A freshly seeded sandbox has delivered nothing (every stock sits in `inserts/`), and every 50th product is never
 * listed on the channels (its stock can only ever be an insert that fails). So a workload is built in four steps:
 *   1. reset the sandbox (marketplace holdings and remembered bodies included) and seed the smallest catalogue with
 *      N listed products;
 *   2. record in Omnitron that the main stock list was delivered to the channel before: pages of `inserts/` committed
 *      and marked `done`, each stock with its product's remote id (what a previous insert run leaves; Omnitron only,
 *      the marketplace is not called, so its holdings stay empty);
 *   3. give every listed product +100 stock at a location of the main list (seeded stock is 0..40, reserved 0..3, so
 *      each main-list quantity changes);
 *   4. check that `updates/` now holds exactly N stocks.
 */
import type { StockActivityDeps } from '../activities/stock';
import type { OmnitronClient } from '../src/omnitron/client';
import { batchObject } from '../src/omnitron/schemas';
import { batchCounts, channelMismatches, expectedQuantities, type Control } from '../test/support/channel-checks';

/** The sandbox's documented catalogue rule: every 50th product was never sent to the channels. */
const UNLISTED_EVERY = 50;
/** Pages of the recorded previous delivery (the sandbox hands out at most 10,000 a page). */
const DELIVERY_PAGE = 10_000;
/** Product pks per integration-action lookup (the activities use 1,000: the ids travel in the query string). */
const LOOKUP_CHUNK = 1_000;
const STOCK_CHANGE = 100;

/** A run's sandbox marketplace: `PUT /control/marketplace/options` and `PUT /control/faults/marketplace` bodies. */
export interface MarketplaceSettings {
  options: object;
  faults: object;
}

export interface Workload {
  channelId: number;
  /** Stocks in `updates/` when the run starts: what the run must deliver. */
  stocks: number;
  /** SKUs seeded (listed and never-listed products). */
  catalogueSkus: number;
  /** Seeded SKUs never listed on the channel (their stocks are not part of the workload). */
  unlistedSkus: number;
}

/** The smallest catalogue whose listed products number `stocks`. */
export function catalogueFor(stocks: number): number {
  let skus = stocks;
  while (skus - Math.floor(skus / UNLISTED_EVERY) < stocks) skus++;
  return skus;
}

/** Remote id of each product's successful integration action on the channel (as the send activity resolves them). */
async function productRemoteIds(omnitron: OmnitronClient, channelId: number, products: readonly number[]) {
  const remoteIds = new Map<number, string>();
  for (let i = 0; i < products.length; i += LOOKUP_CHUNK) {
    for await (const action of omnitron.iterateIntegrationActions(channelId, {
      content_type_name: 'product',
      status: 'success',
      object_id__in: products.slice(i, i + LOOKUP_CHUNK),
      limit: LOOKUP_CHUNK,
    })) {
      if (action.remote_id) remoteIds.set(action.object_id, action.remote_id);
    }
  }
  return remoteIds;
}

/** Step 2: Omnitron records the whole main list as delivered (never-listed products' stocks as failed). */
async function recordPreviousDelivery(omnitron: OmnitronClient, channelId: number): Promise<void> {
  for (;;) {
    const page = await omnitron.fetchProductStocks({ channelId, kind: 'inserts', limit: DELIVERY_PAGE });
    if (page.malformed.length > 0) throw new Error(`workload: ${page.malformed.length} malformed stocks from Omnitron`);
    if (page.stocks.length === 0) return;
    const batch = await omnitron.createBatch(channelId);
    await omnitron.commitBatch(
      channelId,
      batch.pk,
      page.stocks.map((s) => ({ pk: s.pk, version_date: s.modified_date })),
    );
    const remoteIds = await productRemoteIds(
      omnitron,
      channelId,
      page.stocks.map((s) => s.product),
    );
    await omnitron.markDone(
      channelId,
      batch.pk,
      page.stocks.map((s) => {
        const remoteId = remoteIds.get(s.product);
        return remoteId
          ? batchObject(s.pk, { remote_id: remoteId, version_date: s.modified_date })
          : batchObject(s.pk, { failed_reason_type: 'channel_app' });
      }),
    );
  }
}

/**
 * Builds the workload of `stocks` changed stocks for a channel (steps 1–4 above). `marketplace` holds the run's
 * marketplace options and faults (batch delay, request limit): the reset forgets them, so they are applied after it.
 */
export async function prepareWorkload(
  control: Control,
  omnitron: OmnitronClient,
  channelId: number,
  stocks: number,
  marketplace: MarketplaceSettings,
): Promise<Workload> {
  const catalogueSkus = catalogueFor(stocks);
  await control('POST', 'reset', {});
  await control('POST', 'seed', { skus: catalogueSkus });
  await control('PUT', 'marketplace/options', marketplace.options);
  await control('PUT', 'faults/marketplace', marketplace.faults);

  const { quantities, notListed } = await control<{ quantities: Record<string, number>; notListed: number }>(
    'GET',
    `channels/${channelId}/expected`,
  );
  const listed = Object.keys(quantities);
  if (listed.length !== stocks) {
    throw new Error(
      `workload: ${catalogueSkus} SKUs seeded, ${listed.length} listed on channel ${channelId}, ${stocks} wanted`,
    );
  }
  await recordPreviousDelivery(omnitron, channelId);

  const catalog = await control<{ stockLists: { main: boolean; locations: string[] }[] }>('GET', 'catalog');
  const location = catalog.stockLists.find((l) => l.main)?.locations[0];
  if (!location) throw new Error('workload: the seeded catalogue has no main stock list location');
  await control('POST', 'stocks', {
    changes: listed.map((sku) => ({ sku, location, delta: STOCK_CHANGE })),
  });

  const pending = await omnitron.fetchProductStocks({ channelId, kind: 'updates', limit: 1 });
  if (pending.count !== stocks) {
    throw new Error(`workload: channel ${channelId} has ${pending.count} stocks in updates/, ${stocks} expected`);
  }
  const inserts = await omnitron.fetchProductStocks({ channelId, kind: 'inserts', limit: 1 });
  if (inserts.count !== 0) throw new Error(`workload: channel ${channelId} still has ${inserts.count} inserts`);
  return { channelId, stocks, catalogueSkus, unlistedSkus: notListed };
}

/**
 * What a run must leave behind: the marketplace holds Omnitron's quantity for every listed SKU (all of them changed),
 * nothing is left in `updates/`, and no batch is still open. Throws naming what is wrong.
 */
export async function checkDelivered(control: Control, deps: StockActivityDeps, workload: Workload): Promise<void> {
  const { channelId } = workload;
  const { omnitron } = deps;
  const expected = await expectedQuantities(control, channelId);
  const mismatches = await channelMismatches(control, channelId, expected);
  const left = (await omnitron.fetchProductStocks({ channelId, kind: 'updates', limit: 1 })).count;
  const counts = await batchCounts(control, channelId);
  const open = ['initialized', 'commit', 'sent_to_remote', 'ongoing'].filter((s) => (counts[s] ?? 0) > 0);
  const problems = [
    ...(Object.keys(expected).length !== workload.stocks
      ? [`${Object.keys(expected).length} listed SKUs, ${workload.stocks} expected`]
      : []),
    ...(mismatches.length > 0
      ? [`${mismatches.length} SKUs not in step (first: ${mismatches.slice(0, 5).join(', ')})`]
      : []),
    ...(left > 0 ? [`${left} stocks still in updates/`] : []),
    ...(open.length > 0 ? [`open batches: ${open.map((s) => `${s} ${counts[s]}`).join(', ')}`] : []),
  ];
  if (problems.length > 0) throw new Error(`channel ${channelId} not delivered: ${problems.join('; ')}`);
}
