/**
 * What a finished run left behind at the sandbox, per channel, read only from the sandbox (its /control endpoints and
 * its Omnitron face), never from stockflow's own account of the run:
 *
 *   - SKUs wrong: listed SKUs whose marketplace quantity differs from Omnitron's expectation, minus the SKUs the flow
 *     legitimately could not send: records Omnitron handed out malformed, each with a "malformed" error report naming
 *     its product stock (a malformed SKU without one stays wrong);
 *   - batches stuck: batch requests of the channel in neither `done` nor `fail`;
 *   - pages sent twice: `done` batches that re-delivered a product stock an earlier `done` batch had delivered (a page
 *     committed twice through Omnitron) plus marketplace requests accepted although the identical body had been
 *     accepted before (a page re-sent to the channel, e.g. after a worker died between the channel's answer and
 *     recording it). Both are printed; one fault can show in both, so their sum is 0 exactly when neither happened.
 *
 * The checks of the tests (test/support/channel-checks.ts) do the comparing, so tests and chaos judge alike.
 */
import type { OmnitronClient } from '../src/omnitron/client';
import type { MarketplaceStats } from '../src/sandbox/marketplace-state';
import type { FaceStats } from '../src/sandbox/faces/face';
import { channelMismatches, expectedQuantities, type Control } from '../test/support/channel-checks';

/** The counter of Trendyol's and Shopify's marketplace stats that says a page was applied again. */
const RESENT_STAT = {
  trendyol: 'trendyolBodiesAcceptedAgain',
  shopify: 'shopifyMutationsAppliedAgain',
} as const satisfies Record<string, keyof MarketplaceStats>;

/** Items the channel's marketplace applied although it had applied the identical body before (a page sent twice). */
async function bodiesAppliedAgain(control: Control, adapter: string): Promise<number> {
  if (adapter === 'trendyol' || adapter === 'shopify') {
    return (await control<MarketplaceStats>('GET', 'marketplace/stats'))[RESENT_STAT[adapter]];
  }
  return (await control<FaceStats>('GET', `marketplace/${adapter}/stats`)).bodiesAppliedAgain;
}

/** How stockflow words the error report of a malformed record (activities/stock.ts: sendBatch, or commitPage). */
const MALFORMED_REPORT = /^malformed product stock from Omnitron/;

export interface ChannelVerdict {
  channelId: number;
  marketplace: string;
  /** Listed SKUs compared (Omnitron's expectation for the main stock list). */
  skusChecked: number;
  /** `sku: held != expected`, excused ones left out. */
  skusWrong: string[];
  /** Product stocks handed out malformed: distinct, and how many answers carried one. */
  malformed: { distinct: number; handouts: number; reports: number; withoutReport: string[] };
  /** Out of step at the marketplace only because Omnitron handed the record out malformed (each reported). */
  excusedMalformed: string[];
  batchCounts: Record<string, number>;
  /** Batches in neither `done` nor `fail`: pk, status, how many objects, last change. */
  stuck: OpenBatch[];
  batchesStuck: number;
  /** `done` batches of the channel that re-delivered a product stock, and the product stocks delivered more than once. */
  batchesRedelivering: number;
  stocksDeliveredTwice: number;
  /** Marketplace requests accepted although the identical body had been accepted before. */
  marketplaceBodiesAcceptedAgain: number;
  pagesSentTwice: number;
}

interface OpenBatch {
  pk: number;
  status: string;
  objects: number;
  modified_date: string;
}

interface CatalogDescription {
  channels: { pk: number; conf: { adapter: string } }[];
}

/** SKU of a mismatch line `sku: held != expected` (the format of the shared checks). */
const skuOf = (mismatch: string) => mismatch.slice(0, mismatch.indexOf(':'));

/**
 * Error reports of the malformed records handed out to a channel, read through Omnitron's own API as an operator
 * would: per product stock, its reports whose description says it was malformed.
 */
async function malformedReports(omnitron: OmnitronClient, channelId: number, pks: readonly number[]) {
  const productStock = await omnitron.getContentType('productstock');
  const reported = new Map<number, number>();
  for (const pk of pks) {
    let page = 1;
    for (;;) {
      const found = await omnitron.listErrorReports(channelId, { action_object_id: pk, limit: 1_000, page });
      const n = found.results.filter(
        (r) => r.action_content_type === productStock.pk && MALFORMED_REPORT.test(r.error_desc ?? ''),
      ).length;
      reported.set(pk, (reported.get(pk) ?? 0) + n);
      if (!found.next) break;
      page++;
    }
  }
  return reported;
}

/**
 * Verifies one seeded channel after its runs ended. Faults must be off (the Omnitron face is read). Marketplace
 * counters are per marketplace, so each channel of a run must use a marketplace of its own (channel 1 Trendyol,
 * channel 2 Shopify in the seeded sandbox).
 */
export async function verifyChannel(control: Control, omnitron: OmnitronClient, channelId: number) {
  const catalog = await control<CatalogDescription>('GET', 'catalog');
  const adapter = catalog.channels.find((c) => c.pk === channelId)?.conf.adapter;
  if (!adapter) throw new Error(`channel ${channelId} is not seeded`);

  const expected = await expectedQuantities(control, channelId);
  const mismatches = await channelMismatches(control, channelId, expected);
  const { records } = await control<{ records: { pk: number; sku: string; times: number }[] }>(
    'GET',
    `omnitron/malformed?channel=${channelId}`,
  );
  const reports = await malformedReports(
    omnitron,
    channelId,
    records.map((r) => r.pk),
  );
  const reportedSkus = new Set(records.filter((r) => (reports.get(r.pk) ?? 0) > 0).map((r) => r.sku));
  const excusedMalformed = mismatches.filter((m) => reportedSkus.has(skuOf(m)));

  const batches = await control<{ counts: Record<string, number>; open: OpenBatch[] }>(
    'GET',
    `omnitron/batches?channel=${channelId}`,
  );
  const twice = await control<{ pks: number[]; batches: number[] }>('GET', `omnitron/duplicates?channel=${channelId}`);
  const resent = await bodiesAppliedAgain(control, adapter);

  const verdict: ChannelVerdict = {
    channelId,
    marketplace: adapter,
    skusChecked: Object.keys(expected).length,
    skusWrong: mismatches.filter((m) => !reportedSkus.has(skuOf(m))),
    malformed: {
      distinct: records.length,
      handouts: records.reduce((sum, r) => sum + r.times, 0),
      reports: [...reports.values()].reduce((sum, n) => sum + n, 0),
      withoutReport: records.filter((r) => !reportedSkus.has(r.sku)).map((r) => r.sku),
    },
    excusedMalformed,
    batchCounts: batches.counts,
    stuck: batches.open,
    batchesStuck: batches.open.length,
    batchesRedelivering: twice.batches.length,
    stocksDeliveredTwice: twice.pks.length,
    marketplaceBodiesAcceptedAgain: resent,
    pagesSentTwice: twice.batches.length + resent,
  };
  return verdict;
}

/** Listed SKUs of a channel whose marketplace quantity differs from Omnitron's (before a run: what it must deliver). */
export async function skusOutOfStep(control: Control, channelId: number): Promise<number> {
  const expected = await expectedQuantities(control, channelId);
  return (await channelMismatches(control, channelId, expected)).length;
}
