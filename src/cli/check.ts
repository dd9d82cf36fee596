import { randomUUID } from 'node:crypto';
import type { Duration } from '@temporalio/common';
import { withTemporal } from './connect';

/** Runs the self-check workflow on the configured Temporal and prints which worker answered. */
export async function checkCommand(opts: { wait: string }): Promise<void> {
  await withTemporal(async ({ client, config }) => {
    const result = await client.workflow.execute('selfCheck', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `stockflow-self-check-${randomUUID()}`,
      args: [{ wait: opts.wait as Duration }],
      workflowExecutionTimeout: '2 minutes',
    });
    console.log(JSON.stringify(result));
  });
}
