/**
 * How `npm run bench` reports: the machine it ran on (read at run time, so a table never travels without it) and the
 * result tables. Every number printed comes from the results passed in; nothing here measures or adjusts.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { promisify } from 'node:util';
import Table from 'cli-table3';
import { PREBUILT_BUNDLE } from '../src/temporal/bundle';
import { projectRoot, provisionTemporalCli } from '../src/temporal/provision-cli';
import type { HistoryCost } from './history-cost';
import type { BenchResults } from './results';

export interface Machine {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
  temporalCli: string;
  /** 1-minute load average when the bench started and ended (other work on the machine shows here). */
  loadAverageAtStart: number;
  loadAverageAtEnd?: number;
}

/** What was measured: the checkout and the workflow bundle the workers ran (others may rebuild it between runs). */
export interface Build {
  commit: string;
  /** Uncommitted changes in the checkout when the bench started. */
  dirty: boolean;
  workflowBundle: { sha256: string; modified: string };
}

const run = promisify(execFile);

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (match?.[1]) return match[1].trim();
  } catch {
    // not Linux: fall through to what Node knows
  }
  return cpus()[0]?.model ?? 'unknown';
}

/** `temporal --version` of the CLI the dev server runs (found the way the stack finds it, never installed here). */
async function temporalCliVersion(): Promise<string> {
  try {
    const cli = await provisionTemporalCli({ install: false, sdkDownload: false });
    if (cli.executable.type !== 'existing-path') return `SDK download (${cli.source})`;
    const { stdout } = await run(cli.executable.path, ['--version']);
    return stdout.trim();
  } catch (err) {
    return `unknown (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`;
  }
}

export async function describeMachine(): Promise<Machine> {
  return {
    cpu: cpuModel(),
    cores: cpus().length,
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    temporalCli: await temporalCliVersion(),
    loadAverageAtStart: loadavg()[0] ?? 0,
  };
}

export async function describeBuild(): Promise<Build> {
  const git = async (...args: string[]) => {
    try {
      return (await run('git', args, { cwd: projectRoot() })).stdout.trim();
    } catch {
      return undefined;
    }
  };
  const bundle = readFileSync(PREBUILT_BUNDLE);
  return {
    commit: (await git('rev-parse', '--short', 'HEAD')) ?? 'unknown',
    dirty: ((await git('status', '--porcelain')) ?? '') !== '',
    workflowBundle: {
      sha256: createHash('sha256').update(bundle).digest('hex').slice(0, 12),
      modified: statSync(PREBUILT_BUNDLE).mtime.toISOString(),
    },
  };
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const whole = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}×` : '—');
const mib = (bytes: number | undefined) => (bytes === undefined ? '—' : (bytes / 2 ** 20).toFixed(0));
const queuesOf = (history: HistoryCost, activity: string) =>
  (history.activityTaskQueues[activity] ?? ['(none)']).map((q) => `"${q}"`).join(', ');
/** Plain ASCII tables: no colours, so the output pastes into a README or a log as is. */
const tableStyle = { style: { head: [], border: [] } };

export function formatReport(results: BenchResults): string {
  const parts = [formatRuns(results, 'the Temporal dev server (SQLite)')];
  if (results.cluster) {
    const cluster = { ...results, ...results.cluster };
    parts.push(formatRuns(cluster, 'the native compose cluster (Temporal server on PostgreSQL)', false));
  }
  parts.push(`total bench time ${seconds(results.wallMs)} s; raw numbers in ${results.outFile}`);
  return parts.join('\n');
}

function formatRuns(results: BenchResults, temporal: string, withHeader = true): string {
  const { machine, settings, build } = results;
  const lines: string[] = [];
  if (withHeader) {
    lines.push(
      `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.ramGiB} GiB RAM; Node ${machine.node}; ` +
        `${machine.temporalCli}; load average ${machine.loadAverageAtStart.toFixed(2)} at start` +
        (machine.loadAverageAtEnd !== undefined ? `, ${machine.loadAverageAtEnd.toFixed(2)} at end` : ''),
    );
    lines.push(
      `build: ${build.commit}${build.dirty ? ' with uncommitted changes' : ''}; workflow bundle ` +
        `${build.workflowBundle.sha256} of ${build.workflowBundle.modified}`,
    );
    lines.push(
      `settings: Trendyol batches IN_PROGRESS for ${settings.batchDelayMs} ms; batch checks every ` +
        `${settings.pollInitialMs} ms doubling to ${settings.pollMaxMs} ms (flow tuning and baselines alike); window ` +
        `${settings.window}; marketplace request limits lifted except in the rate-limited case ` +
        `(channels file requestsPerSecond ${settings.liftedRequestsPerSecond}, Shopify cost bucket restore ` +
        `${whole(settings.liftedShopifyRestoreRate)}/s)`,
    );
  }
  lines.push(`on ${temporal}:`);

  if (results.channels.length > 0) {
    const table = new Table({
      ...tableStyle,
      head: [
        'channel',
        'stocks sent',
        'stockflow s',
        'stocks/s',
        'sequential s',
        'pipelined s',
        '÷ sequential',
        '÷ pipelined',
        'events/1k',
        'KiB/1k',
        'runs+children',
        'worker RSS MiB',
      ],
      colAligns: ['left', ...Array<'right'>(11).fill('right')],
    });
    for (const c of results.channels) {
      const s = c.stockflow;
      table.push([
        `${c.channelId} ${c.marketplace} (${c.mode}, ${c.itemsPerRequest}/request)`,
        whole(s.summary.stocksSent),
        seconds(s.wallMs),
        whole(s.stocksPerSecond),
        c.sequential ? seconds(c.sequential.wallMs) : '—',
        c.pipelined ? seconds(c.pipelined.wallMs) : '—',
        ratio(s.wallMs, c.sequential?.wallMs),
        ratio(s.wallMs, c.pipelined?.wallMs),
        s.eventsPer1000Stocks.toFixed(1),
        (s.bytesPer1000Stocks / 1024).toFixed(1),
        `${s.history.flow.runs}+${s.history.children.runs}`,
        mib(s.workerPeakRssBytes),
      ]);
    }
    lines.push(`updateProductStocks over ${whole(results.settings.stocks)} changed stocks per channel:`);
    lines.push(table.toString());
  }

  const limited = results.rateLimited;
  if (limited) {
    const table = new Table({
      ...tableStyle,
      head: [
        'channel',
        'R req/s',
        'stocks sent',
        'stockflow s',
        'bound s',
        '÷ bound',
        'budget bound s',
        '÷ budget bound',
        'requests',
        'checks/batch',
        'answered ÷ R s',
        '429s',
        'worker RSS MiB',
      ],
      colAligns: ['left', ...Array<'right'>(12).fill('right')],
    });
    table.push([
      `${limited.channelId} ${limited.marketplace} (${limited.itemsPerRequest}/request)`,
      String(limited.requestsPerSecond),
      whole(limited.stockflow.summary.stocksSent),
      seconds(limited.stockflow.wallMs),
      seconds(limited.boundMs),
      ratio(limited.stockflow.wallMs, limited.boundMs),
      seconds(limited.budgetBoundMs),
      ratio(limited.stockflow.wallMs, limited.budgetBoundMs),
      whole(limited.marketplaceRequests),
      (
        (limited.marketplaceRequests - limited.received429s - limited.stockflow.summary.pages) /
        Math.max(1, limited.stockflow.summary.pages)
      ).toFixed(2),
      seconds(limited.requestBoundMs),
      whole(limited.received429s),
      mib(limited.stockflow.workerPeakRssBytes),
    ]);
    lines.push(
      `rate-limited: the sandbox marketplace answers 429 beyond R = ${limited.requestsPerSecond} requests/s and the ` +
        `channels file declares R; bound = stocks / (items per request × R), the sends alone; budget bound = a send ` +
        `per page and one check per batch at R (they share the budget); requests = every marketplace request ` +
        `(sends, batch checks, 429s); checks/batch = answered requests less the sends, per batch; answered ÷ R = ` +
        `the requests not answered 429, at R. ` +
        `sendPage ran on task queue ${queuesOf(limited.stockflow.history, 'sendPage')}, checkBatches on ` +
        `${queuesOf(limited.stockflow.history, 'checkBatches')}:`,
    );
    lines.push(table.toString());
  }

  if (results.marketplaces && results.marketplaces.length > 0) {
    const table = new Table({
      ...tableStyle,
      head: [
        'channel',
        'req/s',
        'stocks sent',
        'stockflow s',
        'bound s',
        '÷ bound',
        'requests',
        'throttled',
        'events/1k',
      ],
      colAligns: ['left', ...Array<'right'>(8).fill('right')],
    });
    for (const m of results.marketplaces) {
      table.push([
        `${m.channelId} ${m.marketplace} (${m.mode}, ${m.itemsPerRequest}/request)`,
        String(m.requestsPerSecond),
        whole(m.stockflow.summary.stocksSent),
        seconds(m.stockflow.wallMs),
        seconds(m.boundMs),
        ratio(m.stockflow.wallMs, m.boundMs),
        whole(m.marketplaceRequests),
        whole(m.throttled),
        m.stockflow.eventsPer1000Stocks.toFixed(1),
      ]);
    }
    lines.push(
      'marketplaces at their default limits, each face answering its documented request budgets: bound = the ' +
        "requests a run must make (a send per page, plus one check per asynchronous batch) at the adapter's requests/s; " +
        'requests = every request the face answered; throttled = answered with its throttling signal:',
    );
    lines.push(table.toString());
  }
  return lines.join('\n');
}
