/**
 * Operator commands that run a stock flow and report on it: `sync` (start or attach; --wait follows it with a
 * progress view) and `status`. They go through StockflowClient, the same API other services use, so the CLI never
 * starts a flow differently. Exit codes: src/cli/flow-command.ts; pause/resume/cancel: src/cli/steer.ts.
 */
import { Option, type Command } from 'commander';
import { StockflowClient } from '../client';
import { SEND_FLOWS, isSendFlow, type AnyFlowProgress, type StockFlowName } from '../../workflows/definitions';
import { withTemporal } from './connect';
import { describeOrUndefined, EXIT, flowCommand, runAction, type ExitCode } from './flow-command';
import { followProgress } from './follow';
import { createFlowProgressView } from './progress-view';
import { exitCodeOf, printReport, reportOf } from './run-report';

interface SyncOptions {
  channel: number;
  sync?: boolean;
  async?: boolean;
  successLog: boolean;
  addProductObjects?: boolean;
  addPrice?: boolean;
  dryRun?: boolean;
  wait?: boolean;
  json?: boolean;
}

async function syncAction(flow: StockFlowName, opts: SyncOptions, command: Command): Promise<ExitCode> {
  if (flow === 'reconcileChannelStock') {
    command.error('error: reconcileChannelStock has options of its own: use stockflow reconcile --channel <id>', {
      exitCode: EXIT.usage,
    });
  }
  const sendOnly = (['sync', 'async', 'addProductObjects', 'addPrice', 'dryRun'] as const).filter((k) => opts[k]);
  if (!isSendFlow(flow) && sendOnly.length > 0) {
    const flags = sendOnly.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ');
    command.error(`error: ${flags}: only for the send flows (${SEND_FLOWS.join(', ')})`, {
      exitCode: EXIT.usage,
    });
  }
  const channelId = opts.channel;
  return withTemporal(async ({ client, config }) => {
    const stockflow = new StockflowClient(client, config.temporal.taskQueue);
    const before = await describeOrUndefined(stockflow.handle(channelId, flow));
    const handle = isSendFlow(flow)
      ? await stockflow.start(flow, {
          channelId,
          isSync: opts.sync ? true : opts.async ? false : undefined,
          isSuccessLog: opts.successLog,
          addProductObjects: opts.addProductObjects ?? false,
          addPrice: opts.addPrice ?? false,
          dryRun: opts.dryRun ?? false,
        })
      : await stockflow.start(flow, { channelId, isSuccessLog: opts.successLog });
    const runId = handle.firstExecutionRunId;
    // USE_EXISTING answers with the running run's id: the same id as before means we attached, not started.
    const attached = before?.status.name === 'RUNNING' && before.runId === runId;
    const target = { flow, channelId };

    if (!opts.wait) {
      if (opts.json) {
        console.log(JSON.stringify({ ...target, workflowId: handle.workflowId, runId, attached }));
      } else {
        const verb = attached ? 'Attached to the run already going (it keeps its own options)' : 'Started';
        console.log(`${verb}: ${flow} for channel ${channelId}, workflow ${handle.workflowId}, run ${runId}`);
        console.log(`Follow it: stockflow status ${flow} --channel ${channelId}`);
      }
      return EXIT.ok;
    }

    if (!opts.json && attached) console.log(`Attached to the run already going: ${handle.workflowId}, run ${runId}`);
    const view = opts.json ? undefined : createFlowProgressView(isSendFlow(flow));
    try {
      await followProgress<AnyFlowProgress>(handle, (p) => view?.update(p));
    } finally {
      view?.stop();
    }
    const desc = await handle.describe();
    const report = { ...(await reportOf(client, target, desc)), attached };
    if (opts.json) console.log(JSON.stringify(report));
    else printReport(report);
    return exitCodeOf(report);
  });
}

async function statusAction(flow: StockFlowName, opts: { channel: number; json?: boolean }): Promise<ExitCode> {
  return withTemporal(async ({ client, config }) => {
    const stockflow = new StockflowClient(client, config.temporal.taskQueue);
    const desc = await describeOrUndefined(stockflow.handle(opts.channel, flow));
    if (!desc) {
      const message = `no run of ${flow} for channel ${opts.channel} found`;
      if (opts.json) console.log(JSON.stringify({ flow, channelId: opts.channel, status: 'NOT_FOUND' }));
      else console.error(message);
      return EXIT.runFailed;
    }
    const report = await reportOf(client, { flow, channelId: opts.channel }, desc);
    if (opts.json) console.log(JSON.stringify(report));
    else printReport(report);
    return exitCodeOf(report);
  });
}

/** Registers `sync` and `status` on the `stockflow` program. */
export function registerFlowCommands(program: Command): void {
  flowCommand(program, 'sync', 'start a stock flow for a channel (or attach to its running run); --wait follows it')
    .addOption(
      new Option('--sync', 'send synchronously (isSync true; must match the channel adapter)').conflicts('async'),
    )
    .addOption(new Option('--async', 'send asynchronously (isSync false; must match the channel adapter)'))
    .option('--no-success-log', 'report only failures to Omnitron (isSuccessLog false)')
    .option('--add-product-objects', 'send product objects with the stocks')
    .option('--add-price', 'send prices with the stocks')
    .option('--dry-run', 'fetch and resolve like a real run, commit and send nothing; report what would be sent')
    .option('--wait', 'follow the run with live progress until it ends, then print a summary')
    .option('--json', 'print one JSON object for machines (no progress animation)')
    .action((flow: StockFlowName, opts: SyncOptions, command: Command) =>
      runAction(() => syncAction(flow, opts, command)),
    );

  flowCommand(program, 'status', "show a flow's progress, or the status and summary of its last run")
    .option('--json', 'print one JSON object for machines')
    .action((flow: StockFlowName, opts: { channel: number; json?: boolean }) =>
      runAction(() => statusAction(flow, opts)),
    );
}
