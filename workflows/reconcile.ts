import {
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  log,
  rootCause,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import type {
  ChunkFinding,
  ReconcileChunkResult,
  ReconcileCounts,
  ReconcileLayout,
  ReconcilePlan,
  ReconcileSpan,
  RepairCandidate,
} from '../activities/reconcile-types';
import { reconcileActivities, stockActivities } from './activity-proxies';
import { startAwaitingBatch, type awaitChannelBatch } from './channel-batch';
import {
  StockChannelId,
  StockFlow,
  pauseReconcileUpdate,
  reconcileProgressQuery,
  resumeReconcileUpdate,
  type ReconcileProgress,
} from './definitions';
import { parseInput, reconcileInputSchema, type ReconcileInput } from './inputs';
import { spanAt } from './reconcile-spans';
import { handlePauseResume } from './steering';

/** A chunk compared and reported: its counts, and with `repair` the stocks to repair. */
type ComparedChunk = Omit<ReconcileChunkResult, 'findings' | 'safetyBuffer'> & { repairs: RepairCandidate[] };

const compared = (chunk: ReconcileChunkResult, repairs: RepairCandidate[]): ComparedChunk => ({
  counts: chunk.counts,
  end: chunk.end,
  pagesEnded: chunk.pagesEnded,
  layout: chunk.layout,
  repairs,
});

/** What one chain of runs carries over continue-as-new: the plan, where it stands, the counts. */
export interface ReconcileCarry {
  plan: ReconcilePlan;
  /** A dry run's examples so far. */
  examples?: ChunkFinding[];
  runKey: string;
  targetIndex: number;
  /** The first chunk of the target not started yet, placed by the layout (workflows/reconcile-spans.ts). */
  chunkIndex: number;
  layout?: ReconcileLayout;
  progress: ReconcileProgress;
  /** Repaired stock pks kept to confirm per list (a bounded sample). */
  sample: number[];
}

/** The result (and Web UI summary): counts only; the SKUs are in Omnitron's error reports under `reportPrefix`. */
export interface ReconcileSummary extends ReconcileCounts {
  channelId: number;
  active: boolean;
  targets: number;
  chunks: number;
  repair: boolean;
  repaired: number;
  repairFailed: number;
  changed: number;
  confirmed: number;
  stillDrifted: number;
  /** Error code prefix of this reconcile's drift and missing reports (a dry run writes none). */
  reportPrefix: string;
  runs: number;
  /** A dry run: compared only, nothing reported or repaired; `examples` names the first SKUs found wrong. */
  dryRun: boolean;
  examples?: ChunkFinding[];
}

/** SKUs found wrong that a dry run's summary names. */
const DRY_RUN_EXAMPLES = 10;

/** Chunks per run before continue-as-new (about 8 events a chunk). */
const CHUNKS_PER_RUN = 500;
/** Repaired stocks read again per list once its repairs finished, at most one channel read's worth. */
const CONFIRM_SAMPLE = 50;

/**
 * Reconciles what channel `channelId` holds with the stock API, list by list, one channel read at a time (see
 * activities/reconcile.ts). With `repair`, each chunk's drifted SKUs go out at once through a batch request — the send
 * flows' own sendBatch and, on an async channel, an awaitChannelBatch child — and a sample is read again at the end.
 */
export async function reconcileChannelStock(
  rawInput: ReconcileInput,
  carry?: ReconcileCarry,
): Promise<ReconcileSummary> {
  const input = parseInput(reconcileInputSchema, rawInput);
  /** A dry run repairs nothing, whatever `repair` says: its drift count is what a repair would send. */
  const repairing = input.repair && !input.dryRun;
  const { channelId, tuning } = input;
  const act = reconcileActivities(channelId, tuning);
  const send = stockActivities(channelId, tuning);
  // The run id's random tail: a UUIDv7 run id starts with its timestamp, so its head is shared by runs started
  // within about a minute of each other.
  const runKey = carry?.runKey ?? workflowInfo().firstExecutionRunId.replace(/-/g, '').slice(-12);

  const progress: ReconcileProgress = carry
    ? { ...carry.progress, runs: carry.progress.runs + 1 }
    : {
        flow: 'reconcileChannelStock',
        channelId,
        phase: 'planning',
        stockListId: null,
        targetsDone: 0,
        targetsTotal: 0,
        chunks: 0,
        pages: 0,
        compared: 0,
        match: 0,
        drift: 0,
        missing: 0,
        unknown: 0,
        notListed: 0,
        repaired: 0,
        repairFailed: 0,
        changed: 0,
        confirmed: 0,
        stillDrifted: 0,
        runs: 1,
        paused: false,
      };
  const publish = () =>
    setCurrentDetails(
      `**reconcileChannelStock** for channel ${channelId}${input.dryRun ? ' (DRY RUN: nothing reported or repaired)' : repairing ? ' (repair)' : ''} — ${progress.phase}` +
        `${progress.paused ? ' (paused)' : ''}\n\nstock list ${progress.stockListId ?? '-'} ` +
        `(${progress.targetsDone}/${progress.targetsTotal} done), compared ${progress.compared}: match ` +
        `${progress.match}, drift ${progress.drift}, missing ${progress.missing}, unknown ${progress.unknown}, ` +
        `not listed ${progress.notListed}; repaired ${progress.repaired} (failed ${progress.repairFailed}, changed ` +
        `${progress.changed}); drift reports: error codes ${`Reconcile-${runKey}-`}…`,
    );
  setHandler(reconcileProgressQuery, () => progress);
  handlePauseResume(
    progress,
    { pause: pauseReconcileUpdate, resume: resumeReconcileUpdate },
    {
      name: 'reconcileChannelStock',
      // Awaiting repairs or confirming a list still has lists to come, unless it is the last.
      pagesLeft: () =>
        progress.phase === 'planning' ||
        progress.phase === 'comparing' ||
        (progress.phase !== 'done' && progress.targetsDone + 1 < progress.targetsTotal),
      publish,
    },
  );
  upsertSearchAttributes([
    { key: StockChannelId, value: String(channelId) },
    { key: StockFlow, value: 'reconcileChannelStock' },
  ]);

  const plan = carry?.plan ?? (await act.planReconcile({ channelId, stockListId: input.stockListId }));
  const sampleSize = Math.min(CONFIRM_SAMPLE, plan.readsPerRequest);
  progress.targetsTotal = plan.targets.length;
  let examples = carry?.examples ?? [];
  const summary = (): ReconcileSummary => ({
    channelId,
    active: plan.active,
    targets: plan.targets.length,
    chunks: progress.chunks,
    compared: progress.compared,
    match: progress.match,
    drift: progress.drift,
    missing: progress.missing,
    unknown: progress.unknown,
    notListed: progress.notListed,
    repair: repairing,
    repaired: progress.repaired,
    repairFailed: progress.repairFailed,
    changed: progress.changed,
    confirmed: progress.confirmed,
    stillDrifted: progress.stillDrifted,
    reportPrefix: `Reconcile-${runKey}-`,
    runs: progress.runs,
    dryRun: input.dryRun,
    ...(input.dryRun ? { examples } : {}),
  });
  if (!plan.active) {
    progress.phase = 'done';
    publish();
    return summary();
  }

  const inFlight = new Map<number, ChildWorkflowHandle<typeof awaitChannelBatch>>();
  const settle = (batchPk: number, repaired: number, failed: number) => {
    inFlight.delete(batchPk);
    progress.repaired += repaired;
    progress.repairFailed += failed;
    publish();
  };

  /** One repair batch of a chunk's drifted stocks, sent as the flows send a page. */
  const repair = async (target: ReconcilePlan['targets'][number], repairs: RepairCandidate[]): Promise<number[]> => {
    const { batchPk } = await send.openBatch({ channelId });
    const flowTarget = { stockListId: target.main ? null : target.stockListId, warehouseCode: target.warehouseCode };
    try {
      const committed = await act.commitRepairs({ channelId, batchPk, repairs });
      progress.changed += committed.changed;
      if (committed.committed === 0) return [];
      const sent = await send.sendBatch({
        channelId,
        batchPk,
        kind: 'updates',
        target: flowTarget,
        addProductObjects: false,
        addPrice: false,
        isSuccessLog: input.isSuccessLog,
      });
      if (sent.mode === 'sync') settle(batchPk, sent.succeeded, sent.failed);
      else {
        const child = await startAwaitingBatch(
          { channelId, batchPk, remoteBatchId: sent.remoteBatchId, failedAtSend: sent.failedAtSend },
          input.isSuccessLog,
          tuning,
        );
        if (child) {
          inFlight.set(batchPk, child);
          void child.result().then(
            (outcome) =>
              outcome.state === 'done'
                ? settle(batchPk, outcome.succeeded, outcome.failed)
                : settle(batchPk, 0, committed.committed),
            () => settle(batchPk, 0, committed.committed),
          );
        }
      }
      return repairs.map((r) => r.stockPk);
    } catch (err) {
      const reason = isCancellation(err)
        ? 'the reconcile was cancelled by an operator'
        : `repairing drift failed: ${rootCause(err) ?? String(err)}`;
      // A batch the channel already has is left to getStockBatchRequests (the safety net) rather than failed.
      await CancellationScope.nonCancellable(() =>
        send.failBatch({ channelId, batchPk, reason, unlessSent: isCancellation(err) }),
      );
      if (isCancellation(err)) throw err;
      progress.repairFailed += repairs.length;
      return [];
    }
  };

  let sample = carry?.sample ?? [];
  let chunksThisRun = 0;
  for (let targetIndex = carry?.targetIndex ?? 0; targetIndex < plan.targets.length; targetIndex++) {
    const target = plan.targets[targetIndex]!;
    progress.stockListId = target.stockListId;
    progress.phase = 'comparing';
    publish();
    log.info('stock list compared from', { stockListId: target.stockListId, chunk: carry?.chunkIndex ?? 0 });
    const carried = carry && targetIndex === carry.targetIndex ? carry : undefined;
    let layout = carried?.layout;
    let next = carried?.chunkIndex ?? 0;
    let ended = false;
    /** Chunks being read, in list order; taken in that order, so counting and repair stay deterministic. */
    const reading: Promise<ComparedChunk>[] = [];
    const readChunk = async (span: ReconcileSpan): Promise<ComparedChunk> => {
      const chunkInput = {
        channelId,
        target,
        span,
        runKey,
        repair: repairing,
        readChannel: true,
        readAttempts: tuning.readAttempts,
      };
      try {
        const chunk = await act.reconcileChunk(chunkInput);
        const { findings, safetyBuffer } = chunk;
        if (input.dryRun) {
          examples = [...examples, ...findings].slice(0, DRY_RUN_EXAMPLES);
          return compared(chunk, []);
        }
        if (findings.length === 0) return compared(chunk, []);
        // Reporting is Omnitron's work: on the workflow's queue, its retries cost the channel nothing.
        const { repairs } = await act.reportChunk({
          channelId,
          target,
          span,
          runKey,
          repair: repairing,
          findings,
          safetyBuffer,
        });
        return compared(chunk, repairs);
      } catch (err) {
        if (isCancellation(err)) throw err;
        // The chunk failed for good (Omnitron unreachable through every retry): its SKUs are unknown, never a match.
        log.warn('chunk failed; counted unknown', { stockListId: target.stockListId, span });
        return compared(await act.reconcileChunkUnread({ ...chunkInput, readChannel: false }), []);
      }
    };
    for (;;) {
      const runFull = chunksThisRun >= CHUNKS_PER_RUN || workflowInfo().continueAsNewSuggested;
      if (!ended && !runFull) {
        await condition(() => !progress.paused);
        // Until the first page told the layout, one chunk at a time.
        while (!ended && reading.length < (layout ? tuning.readsInFlight : 1)) {
          reading.push(readChunk(spanAt(layout, next)));
          next++;
          chunksThisRun++;
        }
      }
      const chunk = await reading.shift();
      if (!chunk) {
        if (ended) break;
        // Every chunk started was counted: the next run starts at the first one not started.
        await condition(() => inFlight.size === 0);
        await condition(allHandlersFinished);
        log.info('continuing as new', { stockListId: target.stockListId, chunk: next, compared: progress.compared });
        return continueAsNew<typeof reconcileChannelStock>(rawInput, {
          plan,
          runKey,
          targetIndex,
          chunkIndex: next,
          layout,
          progress,
          sample,
          examples,
        });
      }
      layout ??= chunk.layout;
      ended ||= chunk.end;
      progress.chunks++;
      progress.pages += chunk.pagesEnded;
      for (const key of ['compared', 'match', 'drift', 'missing', 'unknown', 'notListed'] as const) {
        progress[key] += chunk.counts[key];
      }
      // A chunk is one channel read, which may take more items than one send: a batch per send's worth.
      for (let from = 0; from < chunk.repairs.length; from += plan.repairsPerBatch) {
        const sent = await repair(target, chunk.repairs.slice(from, from + plan.repairsPerBatch));
        if (sample.length < sampleSize) sample = [...sample, ...sent].slice(0, sampleSize);
      }
      publish();
    }
    if (sample.length > 0) {
      progress.phase = 'awaiting-repairs';
      publish();
      await condition(() => inFlight.size === 0);
      progress.phase = 'confirming';
      publish();
      const confirmed = await act.confirmRepairs({ channelId, target, stockPks: sample });
      progress.confirmed += confirmed.confirmed;
      progress.stillDrifted += confirmed.stillDrifted;
      sample = [];
    }
    progress.targetsDone++;
    log.info('stock list compared', {
      stockListId: target.stockListId,
      compared: progress.compared,
      drift: progress.drift,
    });
  }
  await condition(() => inFlight.size === 0);
  progress.phase = 'done';
  publish();
  const counts = summary();
  log.info('reconcile done', {
    compared: counts.compared,
    match: counts.match,
    drift: counts.drift,
    missing: counts.missing,
    unknown: counts.unknown,
    repaired: counts.repaired,
  });
  return counts;
}
