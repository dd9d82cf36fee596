/**
 * A send flow's dry run (`dryRun: true`, `stockflow sync --dry-run`): plans like the real run, then pages through
 * Omnitron's updates/inserts by page number — nothing is committed, so the list does not move and a dry run of any
 * size ends — and resolves each page as sendBatch would (identities, quantities, prices). Nothing is written: no
 * batch, no report, no marketplace call. The summary says what would have been sent: pages, counts per outcome and
 * the first items of each.
 */
import {
  condition,
  continueAsNew,
  log,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { FlowPlan, PreviewItem, StockKind } from '../activities/stock-types';
import { stockActivities } from './activity-proxies';
import {
  StockChannelId,
  StockFlow,
  initialFlowProgress,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  type FlowProgress,
  type SendFlowName,
} from './definitions';
import type { SendFlowInput, SendFlowOptions } from './inputs';
import { handlePauseResume } from './steering';

/** Examples of each outcome kept in the summary. */
const EXAMPLES = 10;

export interface DryRunSummary {
  flow: SendFlowName;
  channelId: number;
  dryRun: true;
  active: boolean;
  targets: number;
  pages: number;
  /** Records Omnitron handed out (well-formed or not). */
  fetched: number;
  wouldSend: number;
  /** Stocks that would fail before reaching the channel, by reason ("Product has not been sent", …). */
  wouldFail: Record<string, number>;
  /** The first items that would be sent and the first that would fail. */
  examples: { send: PreviewItem[]; fail: PreviewItem[] };
  runs: number;
}

/** What a dry run carries over continue-as-new: where it is and what it counted. */
export interface DryRunCarry {
  dryRun: true;
  plan: FlowPlan;
  targetIndex: number;
  page: number;
  summary: DryRunSummary;
}

export async function runDryRun(
  flow: SendFlowName,
  shape: { kind: StockKind; source: 'main' | 'extra' },
  input: SendFlowOptions,
  rawInput: SendFlowInput,
  carry: DryRunCarry | undefined,
): Promise<DryRunSummary> {
  const { channelId, tuning } = input;
  const act = stockActivities(channelId, tuning);
  const summary: DryRunSummary = carry
    ? { ...carry.summary, runs: carry.summary.runs + 1 }
    : {
        flow,
        channelId,
        dryRun: true,
        active: true,
        targets: 0,
        pages: 0,
        fetched: 0,
        wouldSend: 0,
        wouldFail: {},
        examples: { send: [], fail: [] },
        runs: 1,
      };
  const wouldFail = () => Object.values(summary.wouldFail).reduce((a, b) => a + b, 0);
  const progress: FlowProgress = {
    ...initialFlowProgress(flow, channelId),
    targetsDone: carry?.targetIndex ?? 0,
    pages: summary.pages,
    stocksTaken: summary.fetched,
    stocksSent: summary.wouldSend,
    stocksFailed: wouldFail(),
    runs: summary.runs,
    dryRun: true,
  };
  const publish = () =>
    setCurrentDetails(
      `**${flow}** for channel ${channelId} — DRY RUN, nothing is committed or sent — ${progress.phase}` +
        `${progress.paused ? ' (paused)' : ''}\n\npages ${summary.pages}, would send ${summary.wouldSend}, ` +
        `would fail ${wouldFail()}`,
    );
  setHandler(progressQuery, () => progress);
  handlePauseResume(
    progress,
    { pause: pauseUpdate, resume: resumeUpdate },
    { name: flow, pagesLeft: () => progress.phase !== 'done', publish },
  );
  upsertSearchAttributes([
    { key: StockChannelId, value: String(channelId) },
    { key: StockFlow, value: flow },
  ]);

  const plan = carry?.plan ?? (await act.planFlow({ channelId, source: shape.source, isSync: input.isSync }));
  summary.active = plan.active;
  summary.targets = plan.targets.length;
  progress.targetsTotal = plan.targets.length;
  let pagesThisRun = 0;
  for (let targetIndex = carry?.targetIndex ?? 0; plan.active && targetIndex < plan.targets.length; targetIndex++) {
    const target = plan.targets[targetIndex]!;
    progress.stockListId = target.stockListId;
    progress.phase = 'sending';
    publish();
    for (let page = targetIndex === carry?.targetIndex ? carry.page : 1; ; page++) {
      if (pagesThisRun >= tuning.pagesPerRun || workflowInfo().continueAsNewSuggested) {
        return continueAsNew<(input: SendFlowInput, carry?: DryRunCarry) => Promise<DryRunSummary>>(rawInput, {
          dryRun: true,
          plan,
          targetIndex,
          page,
          summary,
        });
      }
      await condition(() => !progress.paused);
      pagesThisRun++;
      const previewed = await act.previewPage({
        channelId,
        kind: shape.kind,
        target,
        pageSize: plan.pageSize,
        page,
        addProductObjects: input.addProductObjects,
        addPrice: input.addPrice,
        examples: EXAMPLES,
      });
      if (previewed.fetched === 0) break;
      summary.pages++;
      summary.fetched += previewed.fetched;
      summary.wouldSend += previewed.wouldSend;
      for (const [reason, n] of Object.entries(previewed.wouldFail)) {
        summary.wouldFail[reason] = (summary.wouldFail[reason] ?? 0) + n;
      }
      summary.examples.send = [...summary.examples.send, ...previewed.examples.send].slice(0, EXAMPLES);
      summary.examples.fail = [...summary.examples.fail, ...previewed.examples.fail].slice(0, EXAMPLES);
      Object.assign(progress, {
        pages: summary.pages,
        stocksTaken: summary.fetched,
        stocksSent: summary.wouldSend,
        stocksFailed: wouldFail(),
      });
      publish();
      if (!previewed.more) break;
    }
    progress.targetsDone++;
  }
  progress.phase = 'done';
  publish();
  log.info('dry run done', { pages: summary.pages, wouldSend: summary.wouldSend, wouldFail: wouldFail() });
  return summary;
}
