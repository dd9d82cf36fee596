/** Every activity factory; the worker composes them with their dependencies. */
export { createSelfCheckActivities, type SelfCheckActivities } from './self-check';
export { createStockActivities, type StockActivityDeps } from './stock';
export { createFlowStarterActivities, type FlowStarterActivities } from './flow-starter';
export { createReconcileActivities } from './reconcile';
export { createAwaitedByFlowsActivities, type AwaitedByFlowsActivities } from './awaited-by-flows';
