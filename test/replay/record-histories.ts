/**
 * Writes the replay fixtures test/replay/histories/<workflowType>.json: one small recorded history per workflow type,
 * which test/replay/replay.test.ts replays against the current workflow bundle on every test run, so a change to
 * workflow code that would break running executions fails CI instead of production.
 *
 * Regenerate (only when a change is MEANT to be incompatible and is guarded, e.g. by `patched()`, or to add a type):
 *
 *   npm run build && node dist/test/replay/record-histories.js
 *
 * It starts its own Temporal dev server (the CLI is found as for `npm start`), bundles the workflows, records real runs
 * against an in-process sandbox and writes one file per type (the Temporal CLI's JSON history format, so
 * `temporal workflow show --output json` produces the same shape).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { DefaultLogger, Runtime, bundleWorkflowCode } from '@temporalio/worker';
import { startDevServer } from '../../src/temporal/dev-server';
import { WORKFLOWS_PATH } from '../../src/worker';
import { connectIsolatedTemporal } from '../support/isolated-namespace';
import { historyToJson } from '../support/histories';
import { WORKFLOW_TYPES, recordHistories, type RecordedRun } from './record';

/** Fixtures live next to the sources, whether this runs from test/replay (ts) or dist/test/replay (js). */
const ROOT = __filename.endsWith('.js') ? join(__dirname, '..', '..', '..') : join(__dirname, '..', '..');
export const FIXTURE_DIR = join(ROOT, 'test', 'replay', 'histories');
const MAX_FIXTURE_BYTES = 200 * 1024;

/** For each type, the run to keep: the async Trendyol run for updates (it starts children), sync Shopify for inserts. */
function pick(runs: RecordedRun[], type: string): RecordedRun {
  const preferred: Record<string, string> = {
    updateProductStocks: 'updateProductStocks on channel 1',
    insertProductStocks: 'insertProductStocks on channel 2',
    updateProductStocksFromExtraStockList: 'updateProductStocksFromExtraStockList on channel 1',
    insertProductStocksFromExtraStockList: 'insertProductStocksFromExtraStockList on channel 2',
    awaitChannelBatch: 'awaitChannelBatch started by getStockBatchRequests on channel 1',
  };
  const ofType = runs.filter((r) => r.workflowType === type);
  const run = ofType.find((r) => r.label === preferred[type]) ?? ofType[0];
  if (!run) throw new Error(`no ${type} run was recorded`);
  return run;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const log = (line: string) => process.stderr.write(`[record-histories] ${line}\n`);
  const server = await startDevServer({ provision: { log } });
  try {
    const bundle = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: undefined });
    const bundlePath = join(mkdtempSync(join(tmpdir(), 'stockflow-record-')), 'workflow-bundle.js');
    writeFileSync(bundlePath, bundle.code);
    const temporal = await connectIsolatedTemporal('record', server.address);
    try {
      const runs = await recordHistories({
        client: temporal.client,
        nativeConnection: temporal.nativeConnection,
        namespace: temporal.namespace,
        workflowBundlePath: bundlePath,
        log,
      });
      mkdirSync(FIXTURE_DIR, { recursive: true });
      for (const type of WORKFLOW_TYPES) {
        const run = pick(runs, type);
        const file = join(FIXTURE_DIR, `${type}.json`);
        // Formatted as `npm run format` would, so formatting the repository never rewrites a fixture.
        const text = await format(historyToJson(run.history), { ...(await resolveConfig(file)), filepath: file });
        if (text.length > MAX_FIXTURE_BYTES) throw new Error(`${type}: ${text.length} bytes, over the fixture limit`);
        writeFileSync(file, text);
        log(`${type}.json: ${run.label}, ${run.history.events?.length ?? 0} events, ${text.length} bytes`);
      }
    } finally {
      await temporal.close();
    }
  } finally {
    await server.stop();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
