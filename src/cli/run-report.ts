/**
 * A flow's latest run as `sync`/`status` report it: progress while it runs, summary or root cause once closed, the
 * exit code that state maps to, and the text form of all of it.
 */
import type { Client, WorkflowExecutionDescription, WorkflowExecutionStatusName } from '@temporalio/client';
import { anyProgressQuery, listName, type AnyFlowProgress } from '../../workflows/definitions';
import type { BatchRequestsSummary } from '../../workflows/batch-requests';
import type { ReconcileSummary } from '../../workflows/reconcile';
import type { DryRunSummary } from '../../workflows/dry-run';
import type { SendFlowSummary } from '../../workflows/send-flows';
import { describeOrUndefined, EXIT, failureChain, type ExitCode, type FlowRef } from './flow-command';
import { leftWrong, reconcileSummaryRows } from './reconcile';
import { describeProgress, formatDuration, formatTable } from './progress-view';

export type FlowSummary = SendFlowSummary | DryRunSummary | BatchRequestsSummary | ReconcileSummary;

/** What `sync --json` and `status --json` print: one object, the same shape for both. */
export interface RunReport {
  flow: FlowRef['flow'];
  channelId: number;
  workflowId: string;
  runId: string;
  /** `sync` only: the flow was already running and the command attached to that run (its own options apply). */
  attached?: boolean;
  status: WorkflowExecutionStatusName;
  /** While running. */
  progress?: AnyFlowProgress;
  /** Once completed. */
  summary?: FlowSummary;
  /** Once failed, cancelled, terminated or timed out: the root cause (the message naming the field, the 404). */
  failure?: string;
  /** Every message from the run's failure down to that root cause, as the Web UI nests them. */
  failureChain?: string[];
  startTime?: string;
  closeTime?: string;
  /** From the first run of the chain (continue-as-new keeps one logical run) to the close, or to now. */
  durationMs?: number;
}

const isDryRun = (summary: FlowSummary): summary is DryRunSummary => 'wouldSend' in summary;

function hasFailedItems(summary: FlowSummary): boolean {
  if (isDryRun(summary)) return false; // a report of what would happen: nothing failed
  if ('reportPrefix' in summary) return leftWrong(summary) > 0;
  if ('flow' in summary) {
    return (
      summary.stocksFailed + summary.malformedRecords + summary.pagesFailed + summary.batchesFailed > 0 ||
      summary.targetsGivenUp.length > 0
    );
  }
  return summary.stocksFailed + summary.failed > 0;
}

export function exitCodeOf(report: RunReport): ExitCode {
  if (report.status === 'RUNNING') return EXIT.ok;
  if (report.status !== 'COMPLETED') return EXIT.runFailed;
  return report.summary && hasFailedItems(report.summary) ? EXIT.itemsFailed : EXIT.ok;
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
export async function reportOf(
  client: Client,
  target: FlowRef,
  desc: WorkflowExecutionDescription,
): Promise<RunReport> {
  const report: RunReport = {
    ...target,
    workflowId: desc.workflowId,
    runId: desc.runId,
    status: desc.status.name,
    ...(await timesOf(client, desc)),
  };
  const handle = client.workflow.getHandle(desc.workflowId, desc.runId, { followRuns: false });
  if (report.status === 'RUNNING') {
    report.progress = await handle.query(anyProgressQuery);
  } else if (report.status === 'COMPLETED') {
    report.summary = (await handle.result()) as FlowSummary;
  } else {
    const chain = await handle.result().then(
      () => [report.status],
      (err: unknown) => failureChain(err),
    );
    report.failure = chain[chain.length - 1];
    report.failureChain = chain;
  }
  return report;
}

/** A dry run: what would have been sent, by outcome, with the first items of each. Nothing was committed or sent. */
function dryRunRows(s: DryRunSummary): [string, string | number][] {
  const item = (i: DryRunSummary['examples']['send'][number]) =>
    `${i.sku ?? `stock ${i.stockPk ?? '?'}`}${i.quantity !== undefined ? ` -> ${i.quantity}` : ''}` +
    (i.reason ? ` (${i.reason})` : '');
  return [
    ['DRY RUN', 'nothing was committed or sent'],
    ['pages', s.pages],
    ['would send', s.wouldSend],
    ...Object.entries(s.wouldFail).map(([reason, n]): [string, number] => [`would fail: ${reason}`, n]),
    ['first to send', s.examples.send.map(item).join(', ') || '-'],
    ['first to fail', s.examples.fail.map(item).join(', ') || '-'],
  ];
}

function summaryRows(summary: FlowSummary, durationMs: number | undefined): [string, string | number][] {
  const rows: [string, string | number][] = isDryRun(summary)
    ? dryRunRows(summary)
    : 'reportPrefix' in summary
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
            ['stock lists given up', summary.targetsGivenUp.map(listName).join(', ') || 'none'],
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

export function printReport(report: RunReport): void {
  console.log(`${report.flow} for channel ${report.channelId}: ${report.status} (run ${report.runId})`);
  if (report.progress) {
    console.log(`  ${describeProgress(report.progress)}`);
    if (report.durationMs !== undefined) console.log(`  running for ${formatDuration(report.durationMs)}`);
  }
  if (report.summary) console.log(formatTable(summaryRows(report.summary, report.durationMs)));
  if (report.failure) {
    console.log(`  cause: ${report.failure}`);
    const outer = report.failureChain?.slice(0, -1) ?? [];
    if (outer.length > 0) console.log(`  via: ${outer.join(' > ')}`);
  }
}
