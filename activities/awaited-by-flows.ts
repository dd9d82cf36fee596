/**
 * `batchesAwaitedByFlows`: which batches of a channel its running send flows await themselves (issue #12: a flow
 * awaits its async batches in its own state, without a child per batch). getStockBatchRequests leaves those alone, so
 * a batch is never checked and settled by two runs at once (its reports would be written twice).
 */
import { Context } from '@temporalio/activity';
import { QueryNotRegisteredError, WorkflowNotFoundError } from '@temporalio/client';
import { awaitedBatchesQuery, flowWorkflowId, SEND_FLOWS } from '../workflows/definitions';

export function createAwaitedByFlowsActivities() {
  return {
    async batchesAwaitedByFlows({ channelId }: { channelId: number }): Promise<number[]> {
      const { client } = Context.current();
      const pks = new Set<number>();
      for (const flow of SEND_FLOWS) {
        const handle = client.workflow.getHandle(flowWorkflowId(channelId, flow));
        try {
          // A closed run awaits nothing (a cancelled one handed its batches to awaiting children).
          if ((await handle.describe()).status.name !== 'RUNNING') continue;
          for (const pk of await handle.query(awaitedBatchesQuery)) pks.add(pk);
        } catch (err) {
          // Never run, or a run from before issue #12 (its batches have children, which the safety net respects).
          if (err instanceof WorkflowNotFoundError || err instanceof QueryNotRegisteredError) continue;
          throw err;
        }
      }
      return [...pks];
    },
  };
}

export type AwaitedByFlowsActivities = ReturnType<typeof createAwaitedByFlowsActivities>;
