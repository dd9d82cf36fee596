import type { Duration } from '@temporalio/common';
import { condition, proxyActivities, setHandler } from '@temporalio/workflow';
import type { SelfCheckActivities, WorkerDescription } from '../activities/self-check';
import { releaseSelfCheckSignal, selfCheckStatusQuery, type SelfCheckStatus } from './definitions';

const { describeWorker } = proxyActivities<SelfCheckActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

export interface SelfCheckInput {
  /** How long to wait on a durable timer before asking a worker to answer (Temporal duration, e.g. "2s"). */
  wait: Duration;
}

export interface SelfCheckResult {
  releasedEarly: boolean;
  worker: WorkerDescription;
}

/**
 * Proves a stack is alive end to end: a durable timer, a signal that can cut it short, a query that reports where the
 * run is, and an activity answered by a worker. `stockflow check` runs it against whatever stack is configured.
 */
export async function selfCheck(input: SelfCheckInput): Promise<SelfCheckResult> {
  const status: SelfCheckStatus = { phase: 'waiting', releasedEarly: false };
  setHandler(selfCheckStatusQuery, () => status);
  setHandler(releaseSelfCheckSignal, () => {
    status.releasedEarly = status.phase === 'waiting';
  });

  // condition() with a timeout is a durable timer: it survives worker restarts and fires exactly once.
  await condition(() => status.releasedEarly, input.wait);
  status.phase = 'checking-worker';
  const worker = await describeWorker();
  status.phase = 'done';
  return { releasedEarly: status.releasedEarly, worker };
}
