/**
 * A worker process SIGKILLed in the middle of two repairing reconciles (async Trendyol, sync Shopify) loses nothing
 * and reports nothing twice: a fresh worker finishes both, every drifted SKU has exactly one report, every drifted
 * quantity is repaired once (no stock in two done batches, nothing left in commit), and a second reconcile finds no
 * drift. Built code in the worker process, as in worker-crash.test.ts.
 */
import { StockflowClient } from '../../src/client';
import { startSandbox, type Sandbox } from '../../src/sandbox/server';
import type { ReconcileSummary } from '../../workflows/reconcile';
import {
  batchCounts,
  pksInSeveralDoneBatches,
  reconcileReports,
  sandboxControl,
  type Control,
} from '../support/channel-checks';
import { connectIsolatedTemporal, type IsolatedTemporal } from '../support/isolated-namespace';
import { FAST_TUNING } from '../support/stock-env';
import { uniqueTaskQueue } from '../support/temporal';
import { killWorker, spawnWorker, type WorkerProcess } from '../support/worker-processes';

const SKUS = 2_000;
/** Reads of 50 on both channels: many chunks per list, so the kill lands mid-run. */
const READ_ITEMS = 50;
const LISTS = { 1: [1], 2: [1, 2, 3] } as const;

let sandbox: Sandbox;
let temporal: IsolatedTemporal;
let control: Control;
const workers: WorkerProcess[] = [];

type Drifted = { drifted: { sku: string; was: number | null; held: number | null }[] };

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, marketplace: { batchDelayMs: 100 } });
  control = sandboxControl(sandbox);
  await control('POST', 'seed', { skus: SKUS });
  // Every listed stock delivered: the marketplaces hold what Omnitron says, on every list reconciled.
  for (const [channelId, lists] of Object.entries(LISTS)) {
    for (const list of lists) await control('POST', `channels/${channelId}/baseline`, { stock_list: list });
  }
  temporal = await connectIsolatedTemporal('reconcile-crash');
});

afterAll(async () => {
  for (const worker of workers) await killWorker(worker);
  await temporal?.close();
  await sandbox?.close();
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('a SIGKILLed worker mid-reconcile: each drifted SKU reported once and repaired once, none left', async () => {
  // Drift on every list reconciled: quantities moved (some to 0) and one item gone per channel.
  const wrong = new Map<string, number | null>();
  for (const [channelId, lists] of Object.entries(LISTS)) {
    for (const list of lists) {
      const { drifted } = await control<Drifted>('POST', `channels/${channelId}/drift`, {
        stock_list: list,
        random: { count: 25, seed: 11 + list },
      });
      for (const d of drifted) if (d.held !== d.was) wrong.set(`${channelId}/${list}:${d.sku}`, d.held);
    }
  }
  const gone = (await control<Drifted>('POST', 'channels/1/drift', { skus: [{ sku: 'SF0000003', quantity: null }] }))
    .drifted[0]!;
  wrong.set(`1/1:${gone.sku}`, null);

  const taskQueue = uniqueTaskQueue('reconcile-crash');
  const stockflow = new StockflowClient(temporal.client, taskQueue);
  // A higher request rate than the adapters' defaults (Shopify 2/s): the sandbox sets no limit, and the test's time
  // goes to the crash, not to waiting for tokens.
  const limits = { readItemsPerRequest: READ_ITEMS, requestsPerSecond: 20 };
  const options = { sandbox, namespace: temporal.namespace, taskQueue, limits };
  const first = await spawnWorker(options);
  workers.push(first);
  const input = (channelId: number) => ({ channelId, repair: true, tuning: FAST_TUNING });
  const runs = [
    await stockflow.start('reconcileChannelStock', input(1)),
    await stockflow.start('reconcileChannelStock', input(2)),
  ];
  const chunksPerList = Math.ceil(SKUS / READ_ITEMS);
  // Queried just before the kill (nothing answers a query while no worker runs).
  let atKill: { chunks: number }[] = [];
  await waitFor(
    'both reconciles to have compared a few chunks',
    async () => {
      atKill = await Promise.all([1, 2].map((c) => stockflow.reconcileProgress(c)));
      return atKill.every((p) => p.chunks >= 6);
    },
    120_000,
  );
  await killWorker(first);
  workers.push(await spawnWorker(options));
  const summaries = (await Promise.all(runs.map((r) => r.result()))) as ReconcileSummary[];
  console.log(
    `reconcile-crash: killed at ${JSON.stringify(atKill.map((p) => p.chunks))} chunks; ${JSON.stringify(summaries)}`,
  );

  // The kill really was mid-run.
  expect(atKill[0]!.chunks).toBeLessThan(chunksPerList);
  expect(atKill[1]!.chunks).toBeLessThan(chunksPerList * 3);

  for (const summary of summaries) {
    const channelId = summary.channelId as 1 | 2;
    const mine = new Map([...wrong].filter(([key]) => key.startsWith(`${channelId}/`)));
    const missing = [...mine.values()].filter((held) => held === null).length;
    expect(summary).toMatchObject({ drift: mine.size - missing, missing, unknown: 0, repairFailed: 0, changed: 0 });
    expect(summary.repaired).toBe(mine.size - missing);
    // One report per drifted SKU and list (reconcileReports throws on a second one), exactly the drifted ones.
    const reports = await reconcileReports(sandbox.urls, channelId, summary.reportPrefix);
    expect([...reports.keys()].sort()).toEqual([...mine.keys()].map((k) => k.slice(2)).sort());
    // Each repair went out once: no stock in two done batches, nothing held in commit.
    expect(pksInSeveralDoneBatches(sandbox, channelId)).toEqual([]);
    expect((await batchCounts(control, channelId)).commit ?? 0).toBe(0);

    // A second reconcile, uninterrupted, compares as many SKUs and finds only the item that is gone.
    const again = (await (
      await stockflow.start('reconcileChannelStock', { channelId, tuning: FAST_TUNING })
    ).result()) as ReconcileSummary;
    expect(again).toMatchObject({ compared: summary.compared, drift: 0, missing, unknown: 0 });
    expect(again.match + missing + again.notListed).toBe(again.compared);
  }
}, 300_000);
