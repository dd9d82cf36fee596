/**
 * Operator commands that steer a running flow: `pause` and `resume` (Workflow Updates: the flow answers with its
 * progress after the change, or refuses saying why) and `cancel` (waits for the run to close).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Command } from 'commander';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { StockflowClient } from '../client';
import type { StockFlowName } from '../../workflows/definitions';
import { withTemporal } from './connect';
import {
  describeOrUndefined,
  EXIT,
  failureChain,
  flowCommand,
  runAction,
  type ExitCode,
  type FlowRef,
} from './flow-command';
import { describeProgress, formatDuration } from './progress-view';

/** How long `cancel` waits for the run to close (it fails its open batch first) before leaving it to the server. */
const CANCEL_WAIT_MS = 30_000;

/** A pause, resume or cancellation aimed at a run that is not going, or refused by it, gets a message, not a trace. */
async function steer<T>(target: FlowRef, act: () => Promise<T>): Promise<{ answer: T } | undefined> {
  try {
    return { answer: await act() };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      console.error(`no running ${target.flow} for channel ${target.channelId} (${err.message})`);
      return undefined;
    }
    if (err instanceof WorkflowUpdateFailedError) {
      console.error(`refused: ${failureChain(err).at(-1)}`);
      return undefined;
    }
    throw err;
  }
}

async function pauseResumeAction(
  which: 'pause' | 'resume',
  flow: StockFlowName,
  opts: { channel: number; json?: boolean },
): Promise<ExitCode> {
  return withTemporal(async ({ client, config }) => {
    const stockflow = new StockflowClient(client, config.temporal.taskQueue);
    const target = { flow, channelId: opts.channel };
    const steered = await steer(target, () => stockflow[which](opts.channel, flow));
    if (!steered) return EXIT.runFailed;
    if (opts.json) console.log(JSON.stringify({ ...target, progress: steered.answer }));
    else {
      console.log(
        which === 'pause'
          ? `Paused: ${flow} for channel ${opts.channel} takes no new page (a page in flight finishes)`
          : `Resumed: ${flow} for channel ${opts.channel}`,
      );
      console.log(`  ${describeProgress(steered.answer)}`);
    }
    return EXIT.ok;
  });
}

async function cancelAction(flow: StockFlowName, opts: { channel: number }): Promise<ExitCode> {
  return withTemporal(async ({ client, config }) => {
    const stockflow = new StockflowClient(client, config.temporal.taskQueue);
    const target = { flow, channelId: opts.channel };
    const desc = await describeOrUndefined(stockflow.handle(opts.channel, flow));
    if (desc?.status.name !== 'RUNNING') {
      console.error(`no running ${flow} for channel ${opts.channel}${desc ? ` (last run ${desc.status.name})` : ''}`);
      return EXIT.runFailed;
    }
    if (!(await steer(target, () => stockflow.cancel(opts.channel, flow)))) return EXIT.runFailed;
    console.log(`Cancellation requested: ${flow} for channel ${opts.channel} (its open batch is failed with a report)`);
    const handle = client.workflow.getHandle(desc.workflowId, desc.runId);
    const closed = await Promise.race([
      handle.result().then(
        () => true,
        () => true,
      ),
      delay(CANCEL_WAIT_MS, undefined, { ref: false }).then(() => false),
    ]);
    if (!closed) {
      console.log(
        `Still closing after ${formatDuration(CANCEL_WAIT_MS)}; check: stockflow status ${flow} --channel ${opts.channel}`,
      );
      return EXIT.ok;
    }
    const final = await handle.describe();
    console.log(`${flow} for channel ${opts.channel}: ${final.status.name}`);
    return EXIT.ok;
  });
}

/** Registers `pause`, `resume` and `cancel` on the `stockflow` program. */
export function registerSteeringCommands(program: Command): void {
  for (const which of ['pause', 'resume'] as const) {
    flowCommand(
      program,
      which,
      which === 'pause'
        ? 'pause a running flow before its next page; prints its progress after the pause'
        : 'resume a paused flow; prints its progress',
    )
      .option('--json', 'print {flow, channelId, progress} for machines')
      .action((flow: StockFlowName, opts: { channel: number; json?: boolean }) =>
        runAction(() => pauseResumeAction(which, flow, opts)),
      );
  }

  flowCommand(
    program,
    'cancel',
    'cancel a running flow (its open batch is failed with a report) and wait for it to close',
  ).action((flow: StockFlowName, opts: { channel: number }) => runAction(() => cancelAction(flow, opts)));
}
