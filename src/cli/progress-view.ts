/**
 * Terminal rendering of a flow's progress and summaries, kept in one module so it can be swapped for cli-progress and
 * cli-table3 without touching the commands. Hand-rolled for now: neither library is a dependency yet.
 */
import type { FlowProgress } from '../../workflows/definitions';

/** Receives each polled `progress` answer while `stockflow sync --wait` follows a run. */
export interface ProgressView {
  update(progress: FlowProgress): void;
  /** Leaves the terminal on a fresh line (call once, before printing the summary). */
  stop(): void;
}

const SPINNER = ['|', '/', '-', '\\'];

/** One line describing a progress answer; also what `stockflow status` prints for a running flow. */
export function describeProgress(p: FlowProgress): string {
  const phase = p.paused ? 'paused' : p.phase;
  const list = p.stockListId === null ? 'main' : String(p.stockListId);
  return (
    `${phase} | list ${list} (${p.targetsDone}/${p.targetsTotal} done) | pages ${p.pages}` +
    (p.pagesFailed > 0 ? ` (${p.pagesFailed} failed)` : '') +
    ` | stocks sent ${p.stocksSent}, failed ${p.stocksFailed}` +
    ` | batches in flight ${p.batchesInFlight}, done ${p.batchesDone}, failed ${p.batchesFailed}`
  );
}

/**
 * On a TTY: one line rewritten in place with a spinner. Otherwise (logs, CI, pipes): no animation, one plain line
 * whenever the phase changes (or the run is paused/resumed), so a log stays short and readable.
 */
export function createProgressView(stream: NodeJS.WriteStream = process.stderr): ProgressView {
  if (stream.isTTY) {
    let frame = 0;
    let drawn = false;
    return {
      update(progress) {
        const text = `${SPINNER[frame++ % SPINNER.length]} ${describeProgress(progress)}`;
        const width = stream.columns > 1 ? stream.columns - 1 : text.length;
        stream.write(`\r\x1b[2K${text.slice(0, width)}`);
        drawn = true;
      },
      stop() {
        if (drawn) stream.write('\n');
        drawn = false;
      },
    };
  }
  let last = '';
  return {
    update(progress) {
      const state = progress.paused ? 'paused' : progress.phase;
      if (state === last) return;
      last = state;
      stream.write(`${describeProgress(progress)}\n`);
    },
    stop() {},
  };
}

/** A two-column table (label, value) with aligned columns, for summaries. */
export function formatTable(rows: readonly (readonly [string, string | number])[]): string {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
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
