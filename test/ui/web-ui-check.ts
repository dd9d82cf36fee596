/**
 * Headless-browser check of the operator's view: `stockflow start` as a child process, one flow run through the typed
 * client, then Debian's Chromium (driven by playwright-core, no browser download) opens the Temporal Web UI filtered by
 * the run's search attributes and must list it. A screenshot goes to artifacts/web-ui/ (git-ignored).
 *
 *   npm run check:web-ui        (CHROMIUM_PATH overrides /usr/bin/chromium; .ci/run installs Debian's chromium)
 *
 * Not a jest test: it needs a browser on the machine, which `npm test` must not require.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { StockflowClient } from '../../src/client';
import { loadConfig } from '../../src/config';
import { codecDataConverter } from '../../src/temporal/codec';
import { freePort } from '../../src/temporal/dev-server';
import type { SendFlowSummary } from '../../workflows/send-flows';
import { CLI, embeddedStackEnv, killAll, processTree, stillRunning, waitForLine } from '../support/processes';
import { findOnRunPage, findRunInWebUi } from './browser';

async function main(): Promise<void> {
  const stateDir = mkdtempSync(join(tmpdir(), 'stockflow-web-ui-'));
  const [port, uiPort] = [await freePort(), await freePort()];
  // With payload encryption on: the UI shows decoded payloads through the codec server `stockflow start` runs.
  const codecPort = await freePort();
  const env = embeddedStackEnv({
    stateDir,
    port,
    uiPort,
    skus: 200,
    extra: {
      STOCKFLOW_CODEC_KEYS: `ui-check:${randomBytes(32).toString('base64')}`,
      STOCKFLOW_CODEC_PORT: String(codecPort),
    },
  });
  const stack = spawn(process.execPath, [CLI, 'start'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let tree: number[] = [];
  try {
    await waitForLine(stack, /Worker ready/, 120_000);
    tree = await processTree(stack.pid!);
    const connection = await Connection.connect({ address: `127.0.0.1:${port}` });
    let summary: SendFlowSummary;
    let asyncRun: string;
    let runId: string;
    try {
      const stockflow = new StockflowClient(
        new Client({ connection, dataConverter: codecDataConverter(loadConfig(env).codecKeys) }),
        'stockflow',
      );
      const handle = await stockflow.start('insertProductStocks', { channelId: 2 });
      summary = (await handle.result()) as SendFlowSummary;
      runId = handle.firstExecutionRunId;
      // The async channel: the flow awaits its batches itself, and an operator finds it by channel too.
      const trendyol = await stockflow.start('insertProductStocks', { channelId: 1 });
      const asyncSummary = (await trendyol.result()) as SendFlowSummary;
      if (asyncSummary.batchesDone === 0) throw new Error('the Trendyol run finished no async batch');
      asyncRun = trendyol.workflowId;
    } finally {
      await connection.close();
    }

    const query = 'StockChannelId="2" AND StockFlow="insertProductStocks"';
    const screenshot = await findRunInWebUi(`http://127.0.0.1:${uiPort}`, query, 'stock/2/insertProductStocks');
    console.log(
      `web UI lists stock/2/insertProductStocks (sent ${summary.stocksSent}) for ${query}; screenshot ${screenshot}`,
    );
    const asyncQuery = 'StockChannelId="1" AND StockFlow="insertProductStocks"';
    const asyncShot = await findRunInWebUi(`http://127.0.0.1:${uiPort}`, asyncQuery, asyncRun, 'async-run-by-channel');
    console.log(`web UI lists the async run ${asyncRun} for ${asyncQuery}; screenshot ${asyncShot}`);
    // The history holds ciphertext; the run's page shows its input decoded through the codec endpoint.
    const decodedShot = await findOnRunPage(
      `http://127.0.0.1:${uiPort}`,
      'stock/2/insertProductStocks',
      runId,
      'channelId',
      'run-input-decoded',
    );
    console.log(
      `web UI shows the encrypted run's input decoded (codec server :${codecPort}); screenshot ${decodedShot}`,
    );
  } finally {
    stack.kill('SIGINT');
    await once(stack, 'exit');
  }
  const left = stillRunning(tree);
  killAll(left);
  if (left.length > 0) throw new Error(`processes left behind: ${left.join(', ')}`);
}

main().catch((err: Error) => {
  console.error(`web UI check failed: ${err.message}`);
  process.exitCode = 1;
});
