import { Context } from '@temporalio/activity';

export interface WorkerDescription {
  /** The worker identity that ran the activity (`pid@host` unless configured). */
  identity: string;
  taskQueue: string;
  /** Whether the activity's attempt was the first; a retry shows up here. */
  attempt: number;
}

export interface SelfCheckDeps {
  /** Known to the composition root; the activity context does not expose the worker identity. */
  identity: string;
}

/** Activities of the self-check workflow; `deps` are injected by the worker (the one composition root). */
export function createSelfCheckActivities(deps: SelfCheckDeps) {
  return {
    async describeWorker(): Promise<WorkerDescription> {
      const info = Context.current().info;
      return { identity: deps.identity, taskQueue: info.taskQueue, attempt: info.attempt };
    },
  };
}

export type SelfCheckActivities = ReturnType<typeof createSelfCheckActivities>;
