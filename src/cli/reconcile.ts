/**
 * `stockflow reconcile --channel <id> [--list <id>] [--repair] [--wait] [--out file] [--json]`: starts (or attaches
 * to) `reconcileChannelStock` for a channel; with --wait follows it, prints a summary table (or --json), and with
 * --out writes every SKU it found drifted or missing, read back from Omnitron's error reports, as JSON lines.
 *
 * Exit codes: 0 started, or finished with nothing left wrong; 1 the run failed or Temporal/Omnitron unreachable;
 * 2 usage; 3 finished with SKUs still wrong at the channel (drift not repaired, missing items, unknown reads).
 */
import { createWriteStream } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { StockflowClient } from '../client';
import type { Config } from '../config';
import { OmnitronClient } from '../omnitron/client';
import { DEFAULT_CREDENTIALS } from '../sandbox/catalog-state';
import { sandboxUrls } from '../sandbox/server';
import type { ReconcileProgress } from '../../workflows/definitions';
import type { ReconcileSummary } from '../../workflows/reconcile';
import { withTemporal } from './connect';
import { EXIT, failureChain } from './flow-command';
import { followProgress } from './follow';
import { localSandboxUrl } from './sandbox-address';
import { createProgressView, formatTable, RECONCILE_RENDERING } from './progress-view';

interface ReconcileOptions {
  channel: number;
  list?: number;
  repair?: boolean;
  dryRun?: boolean;
  wait?: boolean;
  out?: string;
  json?: boolean;
}

/** One line of `--out`: a SKU the reconcile found wrong at the channel. */
export interface DriftLine {
  sku: string;
  stock_list: number;
  outcome: 'drift' | 'missing';
  held: number | null;
  expected: number;
  stock: number;
  remote_id: string;
  report_id?: number;
}

function positive(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('expected a positive id');
  return n;
}

/** SKUs still wrong after the run: drift not repaired (or not confirmed), missing items, reads that failed. */
export function leftWrong(s: ReconcileSummary): number {
  const unrepaired = s.repair ? s.repairFailed + s.changed + s.stillDrifted : s.drift;
  return unrepaired + s.missing + s.unknown;
}

/** A finished reconcile as summary rows (`reconcile --wait`, `status reconcileChannelStock`). */
export function reconcileSummaryRows(summary: ReconcileSummary): [string, string | number][] {
  return [
    ['channel', summary.channelId],
    ['stock lists', summary.targets],
    ['compared', summary.compared],
    ['match', summary.match],
    ['drift', summary.drift],
    ['missing', summary.missing],
    ['unknown (read failed)', summary.unknown],
    ['not listed', summary.notListed],
    ...(summary.repair
      ? ([
          ['repaired', summary.repaired],
          ['repair failed', summary.repairFailed],
          ['changed during the run', summary.changed],
          ['confirmed / still drifted', `${summary.confirmed} / ${summary.stillDrifted}`],
        ] as [string, string | number][])
      : []),
    ...(summary.dryRun
      ? ([
          ['DRY RUN', 'compared only: nothing reported, nothing repaired'],
          [
            'first found wrong',
            (summary.examples ?? [])
              .map((f) => `${f.sku} holds ${f.held ?? 'nothing'}, should ${f.expected}`)
              .join(', ') || '-',
          ],
        ] as [string, string | number][])
      : ([['reports', `Omnitron error reports ${summary.reportPrefix}*`]] as [string, string | number][])),
  ];
}

/** The Omnitron the workers use: OMNITRON_URL, else the sandbox of the local `stockflow start`. */
function omnitronOf(config: Config): OmnitronClient {
  if (config.omnitron) return new OmnitronClient(config.omnitron);
  const urls = sandboxUrls(localSandboxUrl(config));
  return new OmnitronClient({ baseURL: urls.omnitron, ...DEFAULT_CREDENTIALS });
}

/** Writes the reconcile's drift and missing reports as JSON lines; answers how many. */
async function writeDriftLines(omnitron: OmnitronClient, s: ReconcileSummary, file: string): Promise<number> {
  const out = createWriteStream(file);
  let lines = 0;
  for await (const report of omnitron.iterateErrorReports(s.channelId, { error_code__startswith: s.reportPrefix })) {
    const read = JSON.parse(report.raw_response ?? '{}') as Omit<DriftLine, 'outcome'>;
    const line: DriftLine = { ...read, outcome: read.held === null ? 'missing' : 'drift', report_id: report.pk };
    out.write(`${JSON.stringify(line)}\n`);
    lines++;
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return lines;
}

async function reconcileAction(opts: ReconcileOptions): Promise<number> {
  return withTemporal(async ({ client, config }) => {
    const stockflow = new StockflowClient(client, config.temporal.taskQueue);
    const handle = await stockflow.start('reconcileChannelStock', {
      channelId: opts.channel,
      stockListId: opts.list,
      repair: opts.repair ?? false,
      dryRun: opts.dryRun ?? false,
    });
    if (!opts.wait && !opts.out) {
      const line = { workflowId: handle.workflowId, runId: handle.firstExecutionRunId, status: 'RUNNING' };
      console.log(opts.json ? JSON.stringify(line) : `reconcile started: ${handle.workflowId}`);
      return EXIT.ok;
    }
    const view = opts.json ? undefined : createProgressView(RECONCILE_RENDERING);
    try {
      await followProgress<ReconcileProgress>(handle, (p) => view?.update(p));
    } finally {
      view?.stop();
    }
    let summary: ReconcileSummary;
    try {
      summary = (await handle.result()) as ReconcileSummary;
    } catch (err) {
      const chain = failureChain(err);
      const failure = chain[chain.length - 1];
      console.log(
        opts.json ? JSON.stringify({ status: 'FAILED', failure, failureChain: chain }) : `reconcile failed: ${failure}`,
      );
      return EXIT.runFailed;
    }
    const written = opts.out ? await writeDriftLines(omnitronOf(config), summary, opts.out) : undefined;
    if (opts.json) console.log(JSON.stringify({ status: 'COMPLETED', summary, out: opts.out, lines: written }));
    else {
      console.log(
        formatTable([
          ...reconcileSummaryRows(summary),
          ...(opts.out ? ([['written', `${written} lines to ${opts.out}`]] as const) : []),
        ]),
      );
    }
    return leftWrong(summary) > 0 ? EXIT.itemsFailed : EXIT.ok;
  });
}

export function reconcileCommand(program: Command): void {
  program
    .command('reconcile')
    .description('compare what a channel holds with the stock API; --repair sends the expected quantity of drift')
    .requiredOption('--channel <id>', 'Omnitron channel id', positive)
    .option('--list <id>', 'only this stock list (the main one or one WAREHOUSE_CODES maps)', positive)
    .option('--repair', 'send the expected quantity of each drifted SKU (a batch request, as the flows send)')
    .option('--dry-run', 'compare only: write no report, repair nothing; the summary names the first SKUs found wrong')
    .option('--wait', 'follow the run until it ends, then print a summary')
    .option('--out <file>', 'write the SKUs found drifted or missing as JSON lines (implies --wait)')
    .option('--json', 'print one JSON object for machines')
    .exitOverride((err) => process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage))
    .action(async (opts: ReconcileOptions, command: Command) => {
      if (opts.dryRun && opts.out) {
        command.error('error: --out reads back the reports a reconcile wrote; a --dry-run writes none', {
          exitCode: EXIT.usage,
        });
      }
      process.exitCode = await reconcileAction(opts);
    });
}
