/** Workflow bundle entry: every workflow type the worker registers. */
export { selfCheck } from './self-check';
export {
  updateProductStocks,
  insertProductStocks,
  updateProductStocksFromExtraStockList,
  insertProductStocksFromExtraStockList,
} from './send-flows';
export { awaitChannelBatch } from './channel-batch';
export { getStockBatchRequests } from './batch-requests';
export { scheduledFlow } from './scheduled-flow';
export { reconcileChannelStock } from './reconcile';
