/**
 * Everything both sides of the wire must agree on: search-attribute keys, signals and queries.
 * Pure definitions only, so the workflow bundle, the worker, the client API and the CLI can all import it.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** The Omnitron channel a run works for (Keyword, so `StockChannelId = "3"` filters in the Web UI). */
export const StockChannelId = defineSearchAttributeKey('StockChannelId', SearchAttributeType.KEYWORD);
/** The flow a run performs, e.g. `updateProductStocks`. */
export const StockFlow = defineSearchAttributeKey('StockFlow', SearchAttributeType.KEYWORD);

/** Registered on every server stockflow starts (and to be created on a real cluster). */
export const STOCKFLOW_SEARCH_ATTRIBUTES = [StockChannelId, StockFlow];

export type SelfCheckPhase = 'waiting' | 'checking-worker' | 'done';
export interface SelfCheckStatus {
  phase: SelfCheckPhase;
  releasedEarly: boolean;
}
/** Where a running self-check is. */
export const selfCheckStatusQuery = defineQuery<SelfCheckStatus>('selfCheckStatus');
/** Ends a self-check's wait before its timer fires. */
export const releaseSelfCheckSignal = defineSignal('releaseSelfCheck');
