/**
 * The JSON_LISTINGS_FEED (v2) document a send uploads, and the verdicts its processing report gives. Message ids are
 * the items' 1-based positions; the report names each issue's messageId and sku. The feed asks for the report's
 * `items` (`includedData: fulfillmentAvailability`): the listings the feed updated, which is how an item without an
 * issue is confirmed (the report lists issues only, and a check knows nothing but the feed id).
 */
import { z } from 'zod';
import type { ChannelItem, ItemResult } from '../port';

export const FEED_TYPE = 'JSON_LISTINGS_FEED';
/** Given to createFeedDocument and, identically, to the upload (else the presigned PUT is refused). */
export const FEED_CONTENT_TYPE = 'application/json; charset=UTF-8';

/**
 * One PATCH message per item: `merge` sets the DEFAULT (merchant-fulfilled) quantity and keeps the listing's other
 * fulfillment fields (handling time, restock date), which `replace` would drop.
 */
export function listingsFeed(sellerId: string, productType: string, items: readonly ChannelItem[]) {
  return {
    header: {
      sellerId,
      version: '2.0',
      issueLocale: 'en_US',
      report: { includedData: ['fulfillmentAvailability'], apiVersion: '2021-08-01' },
    },
    messages: items.map((item, index) => ({
      messageId: index + 1,
      sku: item.remoteId,
      operationType: 'PATCH',
      productType,
      patches: [
        {
          op: 'merge',
          path: '/attributes/fulfillment_availability',
          value: [{ fulfillment_channel_code: 'DEFAULT', quantity: item.quantity }],
        },
      ],
    })),
  };
}

/** The processing report, read tolerantly: only what the verdicts use is required. */
export const processingReport = z.object({
  issues: z
    .array(
      z.object({
        messageId: z.number().int().nullish(),
        sku: z.string().nullish(),
        code: z.string().nullish(),
        severity: z.string(),
        message: z.string(),
      }),
    )
    .nullish(),
  items: z.array(z.object({ sku: z.string() })).nullish(),
});
export type ProcessingReport = z.infer<typeof processingReport>;

/**
 * Per-SKU verdicts: an ERROR issue fails its SKU with the issue text(s); a SKU among the updated `items` without
 * one succeeded. Feed-level ERROR issues (no messageId, no sku) are answered apart: with no per-item verdict at all
 * they are the reason the whole feed failed.
 */
export function reportVerdicts(report: ProcessingReport): { results: ItemResult[]; feedErrors: string[] } {
  const errorsBySku = new Map<string, string[]>();
  const feedErrors: string[] = [];
  for (const issue of report.issues ?? []) {
    if (issue.severity !== 'ERROR') continue;
    const text = issue.code ? `${issue.code}: ${issue.message}` : issue.message;
    if (issue.sku) errorsBySku.set(issue.sku, [...(errorsBySku.get(issue.sku) ?? []), text]);
    else if (issue.messageId === null || issue.messageId === undefined) feedErrors.push(text);
  }
  const results: ItemResult[] = [...errorsBySku].map(([sku, messages]) => ({
    remoteId: sku,
    status: 'failed',
    message: messages.join('; '),
  }));
  const updated = new Set((report.items ?? []).map((i) => i.sku));
  for (const sku of updated) if (!errorsBySku.has(sku)) results.push({ remoteId: sku, status: 'success' });
  return { results, feedErrors };
}
