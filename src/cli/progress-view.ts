/**
 * Terminal rendering of a flow's progress (cli-progress) and summaries (cli-table3), kept in one module so the
 * commands only hand over `progress` answers and rows.
 */
import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import {
  listName,
  type AnyFlowProgress,
  type BatchRequestsProgress,
  type FlowProgress,
  type ReconcileProgress,
} from '../../workflows/definitions';

/** Receives each polled `progress` answer while `stockflow sync --wait` or `reconcile --wait` follows a run. */
export interface ProgressView<P> {
  update(progress: P): void;
  /** Leaves the terminal on a fresh line (call once, before printing the summary). */
  stop(): void;
}

/** How a kind of progress answer is drawn: its line, its state (a new plain line when it changes), its bar. */
interface ProgressRendering<P> {
  describe(p: P): string;
  state(p: P): string;
  position(p: P): { value: number; total: number };
  unit: string;
}

/** One line describing a progress answer; also what `stockflow status` prints for a running flow. */
export function describeProgress(p: AnyFlowProgress): string {
  if (p.flow === 'reconcileChannelStock') return describeReconcile(p);
  if (p.flow === 'getStockBatchRequests') return describeBatchRequests(p);
  const phase = `${p.dryRun ? 'DRY RUN ' : ''}${p.paused ? 'paused' : p.phase}`;
  const sent = p.dryRun ? 'would send' : 'stocks sent';
  const failed = p.dryRun ? 'would fail' : 'failed';
  return (
    `${phase} | ${listName(p.stockListId)} (${p.targetsDone}/${p.targetsTotal} done) | pages ${p.pages}` +
    (p.pagesFailed > 0 ? ` (${p.pagesFailed} failed)` : '') +
    ` | ${sent} ${p.stocksSent}, ${failed} ${p.stocksFailed}` +
    ` | batches in flight ${p.batchesInFlight}, done ${p.batchesDone}, failed ${p.batchesFailed}` +
    (p.blockedBy
      ? ` | waiting for batch ${p.blockedBy.batchPk}, left in commit since ${p.blockedBy.since ?? 'an unknown time'}`
      : '')
  );
}

/** One line for a running getStockBatchRequests: the open batches found and how many are settled. */
export function describeBatchRequests(p: BatchRequestsProgress): string {
  return (
    `${p.phase} | batches found ${p.found}: in flight ${p.inFlight}, done ${p.done}, failed ${p.failed}, ` +
    `already awaited ${p.alreadyAwaited} | stocks sent ${p.stocksSent}, failed ${p.stocksFailed}`
  );
}

/** One line for a running reconcile (`stockflow status reconcileChannelStock`, `stockflow reconcile --wait`). */
export function describeReconcile(p: ReconcileProgress): string {
  const phase = p.paused ? 'paused' : p.phase;
  return (
    `${phase} | ${p.stockListId === null ? 'no list yet' : listName(p.stockListId)} (${p.targetsDone}/${p.targetsTotal} done) | pages ${p.pages} | ` +
    `compared ${p.compared}: ` +
    `match ${p.match}, drift ${p.drift}, missing ${p.missing}, unknown ${p.unknown}, not listed ${p.notListed}` +
    (p.repaired + p.repairFailed + p.changed > 0
      ? ` | repaired ${p.repaired}, failed ${p.repairFailed}, changed ${p.changed}`
      : '')
  );
}

/**
 * The bar's measure: stocks committed so far out of those plus what Omnitron still holds for the current list. An
 * estimate — stock changing during the run, and lists not yet started, move the total — so the bar may grow.
 */
function barPosition(p: FlowProgress): { value: number; total: number } {
  const value = p.stocksTaken ?? 0;
  return { value, total: Math.max(1, value + (p.stocksRemaining ?? 0)) };
}

/** A send flow: stocks committed so far out of those plus what Omnitron still holds for the current list. */
export const SEND_FLOW_RENDERING: ProgressRendering<FlowProgress> = {
  describe: describeProgress,
  state: (p) => (p.paused ? 'paused' : p.phase),
  position: barPosition,
  unit: 'stocks',
};

/** getStockBatchRequests: open batches settled out of those found. */
export const BATCH_REQUESTS_RENDERING: ProgressRendering<BatchRequestsProgress> = {
  describe: describeBatchRequests,
  state: (p) => p.phase,
  position: (p) => ({ value: p.done + p.failed + p.alreadyAwaited, total: Math.max(1, p.found) }),
  unit: 'batches',
};

/** A reconcile: stock lists done out of those planned (the stock API does not say how many SKUs a list holds). */
export const RECONCILE_RENDERING: ProgressRendering<ReconcileProgress> = {
  describe: describeReconcile,
  state: (p) => `${p.paused ? 'paused' : p.phase} ${p.stockListId ?? ''}`,
  position: (p) => ({ value: p.targetsDone, total: Math.max(1, p.targetsTotal) }),
  unit: 'stock lists',
};

/**
 * On a TTY: a cli-progress bar with rate and ETA, and the counts beside it. Otherwise (logs, CI, pipes): no
 * animation, one plain line whenever the state changes (phase, list, paused/resumed), so a log stays readable.
 */
export function createProgressView<P>(
  rendering: ProgressRendering<P>,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressView<P> {
  if (stream.isTTY) {
    const bar = new SingleBar({
      stream,
      format: `{bar} {percentage}% | {value}/{total} ${rendering.unit} | ETA {eta_formatted} | {details}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 20,
    });
    let started = false;
    return {
      update(progress) {
        const { value, total } = rendering.position(progress);
        const details = { details: rendering.describe(progress) };
        if (!started) bar.start(total, value, details);
        else {
          bar.setTotal(total);
          bar.update(value, details);
        }
        started = true;
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  let last = '';
  return {
    update(progress) {
      const state = rendering.state(progress);
      if (state === last) return;
      last = state;
      stream.write(`${rendering.describe(progress)}\n`);
    },
    stop() {},
  };
}

/** A borderless two-column table (label, value) for summaries: readable in a terminal, greppable in a log. */
export function formatTable(rows: readonly (readonly [string, string | number])[]): string {
  const table = new Table({
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: ' ',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: ' ',
    },
    style: { head: [], border: [], 'padding-left': 1, 'padding-right': 1 },
  });
  table.push(...rows.map(([label, value]) => [label, String(value)]));
  return table.toString();
}

/** `1m 05.2s`, `950ms`: durations for humans. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const seconds = ms / 1_000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const minutes = Math.floor(seconds / 60);
  const rest = (seconds - minutes * 60).toFixed(1).padStart(4, '0');
  if (minutes < 60) return `${minutes}m ${rest}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m ${rest}s`;
}

/** The view `sync --wait` feeds: a send flow's bar of stocks, or getStockBatchRequests' bar of batches. */
export function createFlowProgressView(sendFlow: boolean): ProgressView<AnyFlowProgress> {
  if (sendFlow) {
    const view = createProgressView(SEND_FLOW_RENDERING);
    return {
      update: (p) =>
        p.flow === 'getStockBatchRequests' || p.flow === 'reconcileChannelStock' ? undefined : view.update(p),
      stop: () => view.stop(),
    };
  }
  const view = createProgressView(BATCH_REQUESTS_RENDERING);
  return { update: (p) => (p.flow === 'getStockBatchRequests' ? view.update(p) : undefined), stop: () => view.stop() };
}
