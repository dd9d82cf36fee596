/**
 * `previewPage`: a dry run's step. One page of Omnitron's updates/inserts, fetched at its page number (nothing is
 * committed, so the list does not move) and resolved exactly as sendBatch would resolve it — identities, quantities
 * with the safety buffer, prices — into counts per outcome and a few examples. Nothing is written anywhere.
 */
import { channelItems } from './channel-items';
import { activityStep } from './failures';
import { channelSetup, type StockActivityDeps } from './stock-deps';
import type { PreviewItem, PreviewPageResult, StockActivities } from './stock-types';

export function previewPageActivity(deps: StockActivityDeps): Pick<StockActivities, 'previewPage'> {
  const { omnitron } = deps;
  return {
    previewPage: (input) =>
      activityStep(async (): Promise<PreviewPageResult> => {
        const { catalog, settings } = await channelSetup(deps, input.channelId);
        const page = await omnitron.fetchProductStocks({
          channelId: input.channelId,
          kind: input.kind,
          stockListId: input.target.stockListId ?? undefined,
          limit: input.pageSize,
          page: input.page,
        });
        const { items, failures } = await channelItems(
          omnitron,
          settings,
          null,
          { kind: input.kind, target: input.target, stocks: page.stocks },
          { addProductObjects: input.addProductObjects, addPrice: input.addPrice, priceList: catalog.price_list },
        );
        const wouldFail: Record<string, number> = {};
        const fail: PreviewItem[] = [];
        const count = (reason: string, stockPk: number | undefined) => {
          wouldFail[reason] = (wouldFail[reason] ?? 0) + 1;
          if (fail.length < input.examples) fail.push({ stockPk, reason });
        };
        for (const f of failures) count(f.message, f.pk);
        for (const m of page.malformed) count('malformed product stock from Omnitron', m.pk);
        return {
          fetched: page.stocks.length + page.malformed.length,
          wouldSend: items.length,
          wouldFail,
          examples: {
            send: items
              .slice(0, input.examples)
              .map((i) => ({ stockPk: i.pk, sku: i.sku, remoteId: i.remoteId, quantity: i.quantity })),
            fail,
          },
          more: page.next !== null && page.next !== undefined,
        };
      }),
  };
}
