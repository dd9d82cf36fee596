/**
 * The operator commands as an operator runs them: `stockflow start` as a child process (dev server, seeded sandbox,
 * worker), then the built CLI (dist/, built by `npm test`'s pretest) for sync/status/pause/resume/cancel, checking
 * output and exit codes; then SIGINT and nothing left running.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/temporal/dev-server';
import { CLI, embeddedStackEnv, killAll, processTree, stillRunning, waitForLine } from '../support/processes';
import type { RunReport } from '../../src/cli/run-report';
import type { FlowProgress } from '../../workflows/definitions';
import type { SendFlowSummary } from '../../workflows/send-flows';

const cli = CLI;

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('stockflow operator commands', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'stockflow-cli-'));
  let env: NodeJS.ProcessEnv;
  let stack: ChildProcess | undefined;
  let sandboxUrl = '';
  let tree: number[] = [];

  /** Runs the built CLI to its end; a non-zero exit is a result to check, not an error. */
  const stockflow = (...args: string[]): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      execFile(process.execPath, [cli, ...args], { env }, (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(err);
        else resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
      });
    });
  const json = <T>(result: CliResult): T => JSON.parse(result.stdout) as T;
  const control = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${sandboxUrl}/control/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  };

  beforeAll(async () => {
    expect(existsSync(cli)).toBe(true);
    const [port, uiPort] = [await freePort(), await freePort()];
    // No TEMPORAL_ADDRESS: the CLI must find the embedded dev server from STOCKFLOW_DEV_SERVER_PORT.
    env = embeddedStackEnv({ stateDir, port, uiPort, skus: 300 });
    stack = spawn(process.execPath, [cli, 'start'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const sandbox = waitForLine(stack, /Sandbox: (http:\/\/\S+)/, 90_000);
    await waitForLine(stack, /Worker ready/, 90_000);
    sandboxUrl = (await sandbox)[1]!;
    tree = await processTree(stack.pid!);
  }, 120_000);

  afterAll(() => {
    stack?.kill('SIGKILL');
    killAll(tree);
  });

  test('an unknown flow or a bad option is a usage error (exit 2) naming what is valid', async () => {
    const bogus = await stockflow('sync', 'bogusFlow', '--channel', '2');
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain("'bogusFlow' is invalid");
    expect(bogus.stderr).toContain('insertProductStocks');
    expect(bogus.stderr).toContain('getStockBatchRequests');

    expect((await stockflow('status', 'insertProductStocks', '--channel', 'two')).code).toBe(2);
    expect((await stockflow('sync', 'insertProductStocks', '--channel', '2', '--sync', '--async')).code).toBe(2);
    const sendOnly = await stockflow('sync', 'getStockBatchRequests', '--channel', '2', '--add-price');
    expect(sendOnly.code).toBe(2);
    expect(sendOnly.stderr).toContain('--add-price');
  });

  test('sync --wait --json follows a run to its summary; failed items exit 3; status reports the closed run', async () => {
    // A dry run first: what the run would send, nothing committed or sent (exit 0: nothing failed).
    const dry = await stockflow('sync', 'insertProductStocks', '--channel', '2', '--dry-run', '--wait', '--json');
    expect(dry.code).toBe(0);
    expect(json<RunReport>(dry).summary).toMatchObject({
      dryRun: true,
      wouldSend: 294,
      wouldFail: { 'Product has not been sent': 6 },
    });
    const dryText = await stockflow('status', 'insertProductStocks', '--channel', '2');
    expect(dryText.stdout).toContain('DRY RUN');
    expect(dryText.stdout).toMatch(/would send\s+294/);
    expect(dryText.stdout).toMatch(/would fail: Product has not been sent\s+6/);

    const synced = await stockflow('sync', 'insertProductStocks', '--channel', '2', '--wait', '--json');
    expect(synced.code).toBe(3); // every 50th product was never listed on the channel: 6 of 300 fail
    const report = json<RunReport>(synced);
    expect(report).toMatchObject({
      flow: 'insertProductStocks',
      channelId: 2,
      workflowId: 'stock/2/insertProductStocks',
      status: 'COMPLETED',
      attached: false,
    });
    const summary = report.summary as SendFlowSummary;
    expect(summary.stocksSent).toBe(294);
    expect(summary.stocksFailed).toBe(6);
    expect(summary.batchesFailed).toBe(0);
    expect(summary.pages).toBeGreaterThan(0);
    expect(report.durationMs).toBeGreaterThanOrEqual(0);

    const status = await stockflow('status', 'insertProductStocks', '--channel', '2', '--json');
    expect(status.code).toBe(3);
    expect(json<RunReport>(status)).toMatchObject({ status: 'COMPLETED', runId: report.runId, summary });

    const text = await stockflow('status', 'insertProductStocks', '--channel', '2');
    expect(text.stdout).toMatch(/COMPLETED/);
    expect(text.stdout).toMatch(/stocks sent\s+294/);
    expect(text.stdout).toMatch(/stocks failed\s+6/);

    // Nothing left to insert: a new run completes with nothing failed.
    const again = await stockflow('sync', 'insertProductStocks', '--channel', '2', '--wait');
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/stocks sent\s+0/);

    const never = await stockflow('status', 'updateProductStocksFromExtraStockList', '--channel', '2');
    expect(never.code).toBe(1);
    expect(never.stderr).toContain('no run of updateProductStocksFromExtraStockList for channel 2');
  });

  test('reconcile finds drift (exit 3, --out as JSON lines), --repair mends it (exit 0)', async () => {
    const { drifted } = (await (
      await fetch(`${sandboxUrl}/control/channels/2/drift`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ stock_list: 1, random: { count: 4, seed: 9 } }),
      })
    ).json()) as { drifted: { sku: string; held: number | null }[] };
    expect(drifted).toHaveLength(4);
    const out = join(stateDir, 'drift.jsonl');
    // A dry run compares only: it names the SKUs found wrong, writes no report and repairs nothing.
    const dry = await stockflow('reconcile', '--channel', '2', '--list', '1', '--dry-run', '--wait', '--json');
    expect(dry.code).toBe(3);
    const dryReport = json<{ summary: { drift: number; dryRun: boolean; examples: { sku: string }[] } }>(dry);
    expect(dryReport.summary).toMatchObject({ drift: 4, dryRun: true });
    expect(dryReport.summary.examples.map((e) => e.sku).sort()).toEqual(drifted.map((d) => d.sku).sort());
    const both = await stockflow('reconcile', '--channel', '2', '--dry-run', '--out', out);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--dry-run writes none');
    const found = await stockflow('reconcile', '--channel', '2', '--list', '1', '--out', out, '--json');
    if (found.code !== 3) console.log(found);
    expect(found.code).toBe(3);
    const report = json<{ status: string; summary: { drift: number; missing: number }; lines: number }>(found);
    expect(report).toMatchObject({ status: 'COMPLETED', summary: { drift: 4, missing: 0 }, lines: 4 });
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { sku: string; held: number; outcome: string; stock_list: number });
    expect(lines.map((l) => [l.sku, l.held]).sort()).toEqual(drifted.map((d) => [d.sku, d.held]).sort());
    expect(lines.every((l) => l.outcome === 'drift' && l.stock_list === 1)).toBe(true);

    const repaired = await stockflow('reconcile', '--channel', '2', '--list', '1', '--repair', '--wait');
    expect(repaired.code).toBe(0);
    expect(repaired.stdout).toMatch(/repaired\s+4/);
    expect(repaired.stdout).toMatch(/confirmed \/ still drifted\s+4 \/ 0/);
    const clean = await stockflow('reconcile', '--channel', '2', '--list', '1', '--wait');
    expect(clean.code).toBe(0);
    expect(clean.stdout).toMatch(/drift\s+0/);

    const usage = await stockflow('reconcile', '--channel', 'x');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--channel');
    const viaSync = await stockflow('sync', 'reconcileChannelStock', '--channel', '2');
    expect(viaSync.code).toBe(2);
    expect(viaSync.stderr).toContain('stockflow reconcile');
    // status shows the last reconcile as a reconcile (its table; exit 0: nothing left wrong).
    const status = await stockflow('status', 'reconcileChannelStock', '--channel', '2');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/COMPLETED/);
    expect(status.stdout).toMatch(/compared\s+300/);
  });

  test('a failed run prints its root cause, in text and in --json', async () => {
    const unknown = await stockflow('sync', 'updateProductStocks', '--channel', '99', '--wait', '--json');
    expect(unknown.code).toBe(1);
    const report = json<RunReport>(unknown);
    expect(report.status).toBe('FAILED');
    expect(report.failure).toMatch(/channels\/99\/: rejected \(404\)/);
    expect(report.failure).not.toMatch(/Activity task failed/);
    expect(report.failureChain?.at(-1)).toBe(report.failure);
    expect(report.failureChain?.length).toBeGreaterThan(1);

    const wrongMode = await stockflow('sync', 'insertProductStocks', '--channel', '1', '--sync', '--wait');
    expect(wrongMode.code).toBe(1);
    expect(wrongMode.stdout).toMatch(/cause: .*isSync: channel 1 uses the asynchronous trendyol adapter/);
  });

  test('pause and resume answer with the flow state or refuse saying why; cancel closes the run', async () => {
    // The Trendyol channel finishes batches only after 10 minutes: the run stays in flight while we steer it. A slow
    // Omnitron (every call 1.5 s) keeps it before its last page while it is paused and resumed.
    await control('PUT', 'marketplace/options', { batchDelayMs: 600_000 });
    await control('POST', 'stocks', { random: { count: 250, seed: 1 } });
    await control('PUT', 'faults/omnitron', { latencyMs: 1_500 });
    const started = await stockflow('sync', 'insertProductStocks', '--channel', '1', '--json');
    expect(started.code).toBe(0);
    const first = json<RunReport>(started);
    expect(first.attached).toBe(false);
    try {
      const again = await stockflow('sync', 'insertProductStocks', '--channel', '1');
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('Attached to the run already going');
      expect(again.stdout).toContain(first.runId);

      const paused = await stockflow('pause', 'insertProductStocks', '--channel', '1', '--json');
      expect(paused.code).toBe(0);
      expect(json<{ progress: FlowProgress }>(paused).progress).toMatchObject({ paused: true, channelId: 1 });
      const twice = await stockflow('pause', 'insertProductStocks', '--channel', '1');
      expect(twice.code).toBe(1);
      expect(twice.stderr).toContain('refused: insertProductStocks is already paused');
      const status = await stockflow('status', 'insertProductStocks', '--channel', '1', '--json');
      expect(json<RunReport>(status)).toMatchObject({ status: 'RUNNING', progress: { paused: true } });

      const resumed = await stockflow('resume', 'insertProductStocks', '--channel', '1');
      expect(resumed.code).toBe(0);
      expect(resumed.stdout).toContain('Resumed: insertProductStocks for channel 1');
      expect(resumed.stdout).toMatch(/main list \(0\/[01] done\)/);
      const notPaused = await stockflow('resume', 'insertProductStocks', '--channel', '1');
      expect(notPaused.code).toBe(1);
      expect(notPaused.stderr).toContain('refused: insertProductStocks is not paused');

      // Past its last page the run only awaits its batch: a pause could hold nothing, so it is refused.
    } finally {
      await control('PUT', 'faults/omnitron', { latencyMs: 0 });
    }
    const deadline = Date.now() + 60_000;
    for (;;) {
      const progress = json<RunReport>(await stockflow('status', 'insertProductStocks', '--channel', '1', '--json'))
        .progress as FlowProgress;
      if (progress.phase === 'awaiting-batches' && progress.targetsDone === progress.targetsTotal) break;
      if (Date.now() > deadline) throw new Error(`the run never reached its last wait: ${JSON.stringify(progress)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const tooLate = await stockflow('pause', 'insertProductStocks', '--channel', '1');
    expect(tooLate.code).toBe(1);
    expect(tooLate.stderr).toContain('refused: insertProductStocks has no pages left to hold');

    const cancelled = await stockflow('cancel', 'insertProductStocks', '--channel', '1');
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toContain('CANCELLED');

    const closed = await stockflow('status', 'insertProductStocks', '--channel', '1', '--json');
    expect(closed.code).toBe(1);
    expect(json<RunReport>(closed)).toMatchObject({ status: 'CANCELLED', runId: first.runId });

    const late = await stockflow('pause', 'insertProductStocks', '--channel', '1');
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('no running insertProductStocks for channel 1');
  });

  test('SIGINT stops the stack and leaves nothing running', async () => {
    const child = stack!;
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(tree.length).toBeGreaterThan(1); // the CLI and its dev server
    expect(stillRunning(tree)).toEqual([]);
  });
});
