import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { loadConfig } from '../config';

/** Runs the self-check workflow on the configured Temporal and prints which worker answered. */
export async function checkCommand(opts: { wait: string }): Promise<void> {
  const config = loadConfig();
  const address = config.temporal.address ?? `127.0.0.1:${config.devServer.port}`;
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const result = await client.workflow.execute('selfCheck', {
      taskQueue: config.temporal.taskQueue,
      workflowId: `stockflow-self-check-${randomUUID()}`,
      args: [{ wait: opts.wait as Duration }],
      workflowExecutionTimeout: '2 minutes',
    });
    console.log(JSON.stringify(result));
  } finally {
    await connection.close();
  }
}
