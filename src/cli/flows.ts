/**
 * Operator commands for the stock flows: `sync`, `status`, `pause`, `resume`, `cancel`. They go through
 * StockflowClient, the same API other services use, so the CLI never starts or steers a flow differently.
 *
 * Exit codes (scripts and schedulers rely on them):
 *   0  ok: started/attached, signal delivered, or the run completed with no failed item
 *   1  the run failed, was cancelled, terminated or timed out; no run found; Temporal unreachable
 *   2  usage error: unknown flow, bad or conflicting option
 *   3  the run completed but some items failed (stocks, malformed records, pages or batches)
 * `status` reports the state of the run the same way, so `stockflow status … || alert` works.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { Argument, InvalidArgumentError, Option, type Command, type CommanderError } from 'commander';
import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowExecutionStatusName,
  type WorkflowHandle,
} from '@temporalio/client';
import { StockflowClient } from '../client';
import {
  SEND_FLOWS,
  STOCK_FLOWS,
  progressQuery,
  type FlowProgress,
  type ReconcileProgress,
  type SendFlowName,
  type StockFlowName,
} from '../../workflows/definitions';
import type { BatchRequestsSummary } from '../../workflows/batch-requests';
import type { ReconcileSummary } from '../../workflows/reconcile';
import type { SendFlowSummary } from '../../workflows/send-flows';
import { withTemporal } from './connect';
import { leftWrong, reconcileSummaryRows } from './reconcile';
import {
  createProgressView,
  describeProgress,
  formatDuration,
  formatTable,
  SEND_FLOW_RENDERING,
} from './progress-view';

export const EXIT = { ok: 0, runFailed: 1, usage: 2, itemsFailed: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** How often `sync --wait` asks the run for its progress. */
const POLL_MS = 500;
/** How long `cancel` waits for the run to close (it fails its open batch first) before leaving it to the server. */
const CANCEL_WAIT_MS = 30_000;

type FlowSummary = SendFlowSummary | BatchRequestsSummary | ReconcileSummary;

/** What `sync --json` and `status --json` print: one object, the same shape for both. */
export interface RunReport {
  flow: StockFlowName;
  channelId: number;
  workflowId: string;
  runId: string;
  /** `sync` only: the flow was already running and the command attached to that run (its own options apply). */
  attached?: boolean;
  status: WorkflowExecutionStatusName;
  /** While running. */
  progress?: FlowProgress | ReconcileProgress;
  /** Once completed. */
  summary?: FlowSummary;
  /** Once failed, cancelled, terminated or timed out. */
  failure?: string;
  startTime?: string;
  closeTime?: string;
  /** From the first run of the chain (continue-as-new keeps one logical run) to the close, or to now. */
  durationMs?: number;
}

interface FlowTarget {
  flow: StockFlowName;
  channelId: number;
}

const isSendFlow = (flow: StockFlowName): flow is SendFlowName => (SEND_FLOWS as readonly string[]).includes(flow);

function parseChannel(value: string): number {
  const id = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(id) || id < 1) {
    throw new InvalidArgumentError('expected a positive integer (an Omnitron channel id)');
  }
  return id;
}

function flowArgument(): Argument {
  return new Argument('<flow>', 'the stock flow').choices(STOCK_FLOWS);
}

/** Commander's own errors (unknown option, missing --channel, a flow not in STOCK_FLOWS) exit with the usage code. */
function usageExit(err: CommanderError): never {
  process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
}

/** Adds `<flow> --channel <id>` and the usage exit code to a flow command. */
function flowCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .addArgument(flowArgument())
    .requiredOption('--channel <id>', 'Omnitron channel id', parseChannel)
    .exitOverride(usageExit);
}

/** Sets the exit code without cutting stdout short (process.exit could drop buffered output on a pipe). */
async function runAction(action: () => Promise<ExitCode>): Promise<void> {
  process.exitCode = await action();
}

const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function failureOf(err: unknown): string {
  if (err instanceof WorkflowFailedError) {
    const cause = err.cause;
    return cause ? `${cause.message}` : err.message;
  }
  return errorMessage(err);
}

function hasFailedItems(summary: FlowSummary): boolean {
  if ('reportPrefix' in summary) return leftWrong(summary) > 0;
  if ('flow' in summary) {
    return (
      summary.stocksFailed + summary.malformedRecords + summary.pagesFailed + summary.batchesFailed > 0 ||
      summary.targetsGivenUp.length > 0
    );
  }
  return summary.stocksFailed + summary.failed > 0;
}

function exitCodeOf(report: RunReport): ExitCode {
  if (report.status === 'RUNNING') return EXIT.ok;
  if (report.status !== 'COMPLETED') return EXIT.runFailed;
  return report.summary && hasFailedItems(report.summary) ? EXIT.itemsFailed : EXIT.ok;
}

async function describeOrUndefined(handle: WorkflowHandle): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Times of the logical run: start of the chain's first run (it may have continued as new), close of the latest. */
async function timesOf(client: Client, desc: WorkflowExecutionDescription): Promise<Partial<RunReport>> {
  let start = desc.startTime;
  const firstRunId = desc.raw.workflowExecutionInfo?.firstRunId;
  if (firstRunId && firstRunId !== desc.runId) {
    const first = await describeOrUndefined(client.workflow.getHandle(desc.workflowId, firstRunId));
    if (first) start = first.startTime;
  }
  const end = desc.closeTime ?? new Date();
  return {
    startTime: start.toISOString(),
    closeTime: desc.closeTime?.toISOString(),
    durationMs: end.getTime() - start.getTime(),
  };
}

/** The state of the latest run of a flow: progress while it runs, summary or failure once closed. */
async function reportOf(client: Client, target: FlowTarget, desc: WorkflowExecutionDescription): Promise<RunReport> {
  const report: RunReport = {
    ...target,
    workflowId: desc.workflowId,
    runId: desc.runId,
    status: desc.status.name,
    ...(await timesOf(client, desc)),
  };
  const handle = client.workflow.getHandle(desc.workflowId, desc.runId, { followRuns: false });
  if (report.status === 'RUNNING') {
    report.progress = await handle.query(progressQuery);
  } else if (report.status === 'COMPLETED') {
    report.summary = (await handle.result()) as FlowSummary;
  } else {
    report.failure = await handle.result().then(
      () => report.status,
      (err: unknown) => failureOf(err),
    );
  }
  return report;
}

function summaryRows(summary: FlowSummary, durationMs: number | undefined): [string, string | number][] {
  const rows: [string, string | number][] =
    'reportPrefix' in summary
      ? reconcileSummaryRows(summary)
      : 'flow' in summary
        ? [
            ['stocks sent', summary.stocksSent],
            ['stocks failed', summary.stocksFailed],
            ['malformed records', summary.malformedRecords],
            ['pages', `${summary.pages} (${summary.pagesFailed} failed)`],
            ['batches done', summary.batchesDone],
            ['batches failed', summary.batchesFailed],
            ['batches handed over', summary.batchesHandedOver],
            ['stock lists given up', summary.targetsGivenUp.length ? summary.targetsGivenUp.join(', ') : 'none'],
            ['runs', summary.runs],
          ]
        : [
            ['batches found', summary.found],
            ['batches done', summary.done],
            ['batches failed', summary.failed],
            ['already awaited', summary.alreadyAwaited],
            ['stocks sent', summary.stocksSent],
            ['stocks failed', summary.stocksFailed],
          ];
  if (durationMs !== undefined) rows.push(['duration', formatDuration(durationMs)]);
  return rows;
}

function printReport(report: RunReport): void {
  console.log(`${report.flow} for channel ${report.channelId}: ${report.status} (run ${report.runId})`);
  if (report.progress) {
    console.log(`  ${describeProgress(report.progress)}`);
    if (report.durationMs !== undefined) console.log(`  running for ${formatDuration(report.durationMs)}`);
  }
  if (report.summary) console.log(formatTable(summaryRows(report.summary, report.durationMs)));
  if (report.failure) console.log(`  ${report.failure}`);
}

/** Polls `progress` until the run's result settles; never throws (a failed run is part of the outcome). */
async function follow(handle: WorkflowHandle, onProgress: (p: FlowProgress) => void): Promise<void> {
  let settled = false;
  const closed = handle.result().then(
    () => (settled = true),
    () => (settled = true),
  );
  while (!settled) {
    // A query can hang while no worker answers (or fail during continue-as-new): never wait on it past the close.
    const progress = await Promise.race([handle.query(progressQuery).catch(() => undefined), closed]);
    if (typeof progress === 'object' && !settled) onProgress(progress);
    await Promise.race([delay(POLL_MS, undefined, { ref: false }), closed]);
  }
}

interface SyncOptions {
  channel: number;
  sync?: boolean;
  async?: boolean;
  successLog: boolean;
  addProductObjects?: boolean;
  addPrice?: boolean;
  wait?: boolean;
  json?: boolean;
}

async function syncAction(flow: StockFlowName, opts: SyncOptions, command: Command): Promise<ExitCode> {
  if (flow === 'reconcileChannelStock') {
    command.error('error: reconcileChannelStock has options of its own: use stockflow reconcile --channel <id>', {
      exitCode: EXIT.usage,
    });
  }
  const sendOnly = (['sync', 'async', 'addProductObjects', 'addPrice'] as const).filter((k) => opts[k]);
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
    const view = opts.json ? undefined : createProgressView(SEND_FLOW_RENDERING);
    try {
      await follow(handle, (p) => view?.update(p));
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

/** A signal or cancellation aimed at a run that is not going gets a message, not a stack trace. */
async function steer(target: FlowTarget, act: () => Promise<void>): Promise<boolean> {
  try {
    await act();
    return true;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    console.error(`no running ${target.flow} for channel ${target.channelId} (${err.message})`);
    return false;
  }
}

function requireSendFlow(flow: StockFlowName, command: Command): void {
  if (!isSendFlow(flow)) {
    command.error(`error: ${flow} cannot be paused or resumed; only the send flows can (${SEND_FLOWS.join(', ')})`, {
      exitCode: EXIT.usage,
    });
  }
}

async function pauseResumeAction(
  which: 'pause' | 'resume',
  flow: StockFlowName,
  opts: { channel: number },
): Promise<ExitCode> {
  return withTemporal(async ({ client, config }) => {
    const stockflow = new StockflowClient(client, config.temporal.taskQueue);
    const target = { flow, channelId: opts.channel };
    if (!(await steer(target, () => stockflow[which](opts.channel, flow)))) return EXIT.runFailed;
    console.log(
      which === 'pause'
        ? `Pause requested: ${flow} for channel ${opts.channel} stops before its next page (a page in flight finishes)`
        : `Resumed: ${flow} for channel ${opts.channel}`,
    );
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

/** Registers `sync`, `status`, `pause`, `resume` and `cancel` on the `stockflow` program. */
export function registerFlowCommands(program: Command): void {
  flowCommand(program, 'sync', 'start a stock flow for a channel (or attach to its running run); --wait follows it')
    .addOption(
      new Option('--sync', 'send synchronously (isSync true; must match the channel adapter)').conflicts('async'),
    )
    .addOption(new Option('--async', 'send asynchronously (isSync false; must match the channel adapter)'))
    .option('--no-success-log', 'report only failures to Omnitron (isSuccessLog false)')
    .option('--add-product-objects', 'send product objects with the stocks')
    .option('--add-price', 'send prices with the stocks')
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

  for (const which of ['pause', 'resume'] as const) {
    flowCommand(
      program,
      which,
      which === 'pause' ? 'pause a running send flow between pages' : 'resume a paused send flow',
    ).action((flow: StockFlowName, opts: { channel: number }, command: Command) => {
      requireSendFlow(flow, command);
      return runAction(() => pauseResumeAction(which, flow, opts));
    });
  }

  flowCommand(
    program,
    'cancel',
    'cancel a running flow (its open batch is failed with a report) and wait for it to close',
  ).action((flow: StockFlowName, opts: { channel: number }) => runAction(() => cancelAction(flow, opts)));
}
