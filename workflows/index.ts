/** Workflow bundle entry: every workflow type the worker registers. */
export { selfCheck } from './self-check';
