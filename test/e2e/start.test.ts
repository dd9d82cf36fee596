/**
 * `npm start`'s entry point as a user runs it: a child process with the dev server and a worker, reachable Web UI, a
 * workflow run through `stockflow check`, then Ctrl-C (SIGINT) and nothing left running. Runs the built CLI (dist/),
 * which `npm test` builds first (pretest).
 */
import { spawn, execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { StockflowClient } from '../../src/client';
import { freePort } from '../../src/temporal/dev-server';
import { projectRoot } from '../../src/temporal/provision-cli';
import { DEFAULT_CREDENTIALS } from '../../src/sandbox/catalog-state';
import { CLI, embeddedStackEnv, killAll, processTree, stillRunning, waitForLine } from '../support/processes';
import type { SendFlowSummary } from '../../workflows/send-flows';

const cli = CLI;
const run = promisify(execFile);

test('stockflow start runs dev server + UI + worker and stops cleanly on SIGINT', async () => {
  expect(existsSync(cli)).toBe(true);
  const stateDir = mkdtempSync(join(tmpdir(), 'stockflow-start-'));
  const [port, uiPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const env = embeddedStackEnv({
    stateDir,
    port,
    uiPort,
    skus: 300,
    extra: { STOCKFLOW_METRICS_ADDRESS: `127.0.0.1:${metricsPort}` },
  });
  const child = spawn(process.execPath, [cli, 'start'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let tree: number[] = [];
  try {
    const ready = waitForLine(child, /Worker ready/, 90_000);
    const schedules = waitForLine(child, /Schedules: (\d+) created, (\d+) updated/, 90_000);
    const [, serverPid] = await waitForLine(child, /Temporal dev server: \S+ \(pid (\d+)/, 90_000);
    await ready;
    // Known before any assertion can fail, so the `finally` below stops the dev server whatever happens.
    tree = await processTree(child.pid!);
    // Six flows (five send flows and the reconcile) for each of the sandbox's six channels, created at the first start.
    expect((await schedules).slice(1, 3)).toEqual(['36', '0']);
    expect(tree).toContain(Number(serverPid)); // the dev server is the stack's own child, stopped with it

    const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
    expect(ui.status).toBe(200);

    const { stdout } = await run(process.execPath, [cli, 'check', '--wait', '100ms'], { env });
    const result = JSON.parse(stdout) as { releasedEarly: boolean; worker: { taskQueue: string } };
    expect(result.worker.taskQueue).toBe('stockflow');

    // The stock flows run against the embedded sandbox with nothing configured.
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    try {
      const stockflow = new StockflowClient(new Client({ connection }), 'stockflow');
      const handle = await stockflow.start('insertProductStocks', { channelId: 2 });
      const summary = (await handle.result()) as SendFlowSummary;
      expect(summary.stocksSent).toBe(300 - 6); // every 50th product was never listed on the channel
    } finally {
      await connection.close();
    }
    // stockflow's counters on the SDK's Prometheus endpoint, per channel.
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const sent = metrics.match(/^stockflow_stocks_sent(?:_total)?\{[^}]*channel="2"[^}]*\} (\d+)$/m);
    expect(Number(sent?.[1])).toBe(294);
    // SDK and worker logs are JSON lines with workflow/activity context.
    const logLines = output.split('\n').filter((line) => line.startsWith('{'));
    const records = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(0); // so that `every` below is not vacuously true
    expect(records.every((r) => r.service === 'stockflow')).toBe(true);
    // Each step of the run says where it is, with the run's context: which list, which batch, how many.
    const ofRun = records.filter((r) => r.workflowId === 'stock/2/insertProductStocks');
    const steps = ofRun.map((r) => r.msg);
    for (const step of ['flow planned', 'stock list started', 'batch opened', 'page committed', 'flow done']) {
      expect(steps).toContain(step);
    }
    const pagesSent = ofRun.filter((r) => r.msg === 'page sent to the channel');
    expect(pagesSent.length).toBeGreaterThan(0);
    expect(pagesSent[0]).toMatchObject({ activityType: 'sendPage', channelId: 2, mode: 'sync' });
    expect(typeof pagesSent[0]!.batchPk).toBe('number');
    expect(ofRun.find((r) => r.msg === 'flow done')).toMatchObject({
      workflowType: 'insertProductStocks',
      stocksSent: 294,
    });
    // Ids and counts only: no SKU, no credential ever reaches a log line.
    expect(output).not.toMatch(/SF\d{7}/);
    expect(output).not.toContain(DEFAULT_CREDENTIALS.whippyToken);

    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(stillRunning(tree)).toEqual([]);
    expect(existsSync(join(stateDir, 'temporal.db'))).toBe(true); // state persisted for the next start
  } finally {
    child.kill('SIGKILL');
    killAll(tree);
  }
});

/**
 * Under a supervisor (systemd, a container runtime, a process manager) the signal goes to `npm start` itself, not to
 * its process group. npm forwards it to its script; the script must be the CLI itself (`exec`), or the shell between
 * them dies and leaves the stack running. Through real npm; `--ignore-scripts` skips the prestart build (pretest built
 * dist/ already), nothing else.
 */
test.each(['SIGINT', 'SIGTERM'] as const)(
  '%s sent to `npm start` stops the whole stack within the grace time',
  async (signal) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'stockflow-npm-start-'));
    const env = embeddedStackEnv({ stateDir, port: await freePort(), uiPort: await freePort(), skus: 50 });
    const npm = spawn('npm', ['start', '--ignore-scripts', '--silent'], {
      cwd: projectRoot(),
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let tree: number[] = [];
    try {
      await waitForLine(npm, /Worker ready/, 90_000);
      tree = await processTree(npm.pid!);
      expect(tree.length).toBeGreaterThanOrEqual(3); // npm, the CLI, the dev server (and the shell, without exec)
      const sent = Date.now();
      npm.kill(signal);
      // The stack's grace is 2 s (embeddedStackEnv); stopping the dev server and closing connections add a few.
      const deadline = sent + 15_000;
      while (stillRunning(tree).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(stillRunning(tree)).toEqual([]);
    } finally {
      killAll(tree);
    }
  },
  120_000,
);

test('a restart keeps the sandbox as it keeps the workflows: a run in flight when the stack stopped finishes after it', async () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'stockflow-restart-'));
  const [port, uiPort] = [await freePort(), await freePort()];
  const env = embeddedStackEnv({ stateDir, port, uiPort, skus: 100 });
  const startStack = async () => {
    const child = spawn(process.execPath, [cli, 'start'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const sandbox = waitForLine(child, /Sandbox: (http:\/\/\S+) .*\((seeded|restored from [^)]+)\)/, 90_000);
    await waitForLine(child, /Worker ready/, 90_000);
    const [, url, how] = await sandbox;
    return { child, url: url!, how: how!, tree: await processTree(child.pid!) };
  };
  const control = async (url: string, method: string, path: string, body?: object) =>
    (await fetch(`${url}/control/${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    }).then((r) => r.json())) as { counts: Record<string, number> };
  const first = await startStack();
  let trees = first.tree;
  try {
    expect(first.how).toBe('seeded');
    // Trendyol finishes batches 10 s after they are sent: the run is still waiting for its batch when the stack stops.
    await control(first.url, 'PUT', 'marketplace/options', { batchDelayMs: 10_000 });
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    try {
      const handle = await new StockflowClient(new Client({ connection }), 'stockflow').start('insertProductStocks', {
        channelId: 1,
      });
      const deadline = Date.now() + 30_000;
      while ((await control(first.url, 'GET', 'omnitron/batches?channel=1')).counts.sent_to_remote !== 1) {
        if (Date.now() > deadline) throw new Error('the batch was never sent');
        await new Promise((r) => setTimeout(r, 100));
      }
      first.child.kill('SIGINT');
      await once(first.child, 'exit');
      expect(stillRunning(first.tree)).toEqual([]);

      const second = await startStack();
      trees = [...trees, ...second.tree];
      expect(second.how).toBe(`restored from ${join(stateDir, 'sandbox-state.bin')}`);
      // The batch the first stack sent is still known to Omnitron and to the marketplace: the run finishes.
      const summary = (await handle.result()) as SendFlowSummary;
      expect(summary).toMatchObject({ stocksSent: 98, stocksFailed: 2, batchesDone: 1, batchesFailed: 0 });
      expect((await control(second.url, 'GET', 'omnitron/batches?channel=1')).counts).toMatchObject({
        sent_to_remote: 0,
        ongoing: 0,
        fail: 0,
      });
      second.child.kill('SIGINT');
      await once(second.child, 'exit');
    } finally {
      await connection.close();
    }
  } finally {
    killAll(trees);
  }
}, 180_000);
