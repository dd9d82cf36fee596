/** What a send flow returns when it ends, built from its progress. */
import type { FlowPlan } from '../activities/stock-types';
import type { FlowProgress, SendFlowName } from './definitions';

/** What a finished send flow returns (also shown in the Web UI). */
export interface SendFlowSummary {
  flow: SendFlowName;
  channelId: number;
  active: boolean;
  targets: number;
  pages: number;
  pagesFailed: number;
  stocksSent: number;
  stocksFailed: number;
  malformedRecords: number;
  batchesDone: number;
  batchesFailed: number;
  /** Async batches finished by a concurrent getStockBatchRequests run instead (counted there). */
  batchesHandedOver: number;
  runs: number;
  /** Stock lists given up in this run after repeated page failures (the others still ran); null: the main list. */
  targetsGivenUp: (number | null)[];
}

export function summarise(
  flow: SendFlowName,
  p: FlowProgress,
  plan: FlowPlan,
  givenUp: (number | null)[],
): SendFlowSummary {
  return {
    flow,
    channelId: p.channelId,
    active: plan.active,
    targets: plan.targets.length,
    pages: p.pages,
    pagesFailed: p.pagesFailed,
    stocksSent: p.stocksSent,
    stocksFailed: p.stocksFailed,
    malformedRecords: p.malformedRecords,
    batchesDone: p.batchesDone,
    batchesFailed: p.batchesFailed,
    batchesHandedOver: p.batchesHandedOver,
    runs: p.runs,
    targetsGivenUp: givenUp,
  };
}
