/**
 * The native compose cluster (src/cluster/: Temporal server on PostgreSQL, Web UI server, three stockflow workers
 * started at once, the sandbox profile), not the dev server: search attributes on SQL visibility, schedules ensured by
 * workers racing each other, and a channel's request rate held across three worker processes.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { type Cluster, startClusterOnFreePorts } from '../../src/cluster/cluster';
import { StockflowClient } from '../../src/client';
import { provisionTemporalCli } from '../../src/temporal/provision-cli';
import type { SendFlowSummary } from '../../workflows/send-flows';
import { sandboxControl, type Control } from '../support/channel-checks';
import { findRunInWebUi } from '../ui/browser';

const run = promisify(execFile);
const WORKERS = 3;

let cluster: Cluster;
let client: Client;
let control: Control;

beforeAll(async () => {
  cluster = await startClusterOnFreePorts({
    stateDir: mkdtempSync(join(tmpdir(), 'stockflow-cluster-')),
    workers: WORKERS,
    sandboxSkus: 400,
    env: { ...process.env, TEMPORAL_POSTGRES_PASSWORD: randomBytes(16).toString('hex'), OMNITRON_URL: '' },
    log: (line) => process.stderr.write(`[cluster] ${line}\n`),
  });
  client = new Client({ connection: await Connection.connect({ address: cluster.address }) });
  control = sandboxControl({ urls: { control: `${cluster.sandboxUrl}/control/` } as never });
}, 600_000);

afterAll(async () => {
  await client?.connection.close();
  await cluster?.stop({ removeData: true });
});

test('workers register the search attributes on SQL visibility; the Temporal CLI and the Web UI find runs by them', async () => {
  const stockflow = new StockflowClient(client, 'stockflow');
  const summary = (await (await stockflow.start('insertProductStocks', { channelId: 2 })).result()) as SendFlowSummary;
  expect(summary.stocksSent).toBe(392);
  const cli = await provisionTemporalCli();
  if (cli.executable.type !== 'existing-path') throw new Error('the Temporal CLI is needed for this test');
  const temporalCli = cli.executable.path;
  const query = 'StockChannelId = "2" AND StockFlow = "insertProductStocks"';
  const listed = async (q: string) =>
    JSON.parse(
      (await run(temporalCli, ['workflow', 'list', '--address', cluster.address, '--query', q, '-o', 'json'])).stdout ||
        '[]',
    ) as { execution: { workflowId: string } }[];
  // Visibility is eventually consistent: the run appears within seconds.
  let found: { execution: { workflowId: string } }[] = [];
  for (let i = 0; i < 40 && found.length === 0; i++) {
    found = await listed(query);
    if (found.length === 0) await new Promise((r) => setTimeout(r, 250));
  }
  expect(found.map((w) => w.execution.workflowId)).toEqual(['stock/2/insertProductStocks']);
  expect(await listed('StockChannelId = "99"')).toEqual([]);
  const screenshot = await findRunInWebUi(
    cluster.uiUrl,
    query,
    'stock/2/insertProductStocks',
    'cluster-by-search-attribute',
  );
  expect(screenshot).toMatch(/cluster-by-search-attribute\.png$/);
}, 180_000);

test('three workers starting at once ensured one schedule per channel and flow; a tick runs its flow', async () => {
  const schedules: string[] = [];
  for await (const schedule of client.schedule.list()) schedules.push(schedule.scheduleId);
  // The sandbox profile's channels file (deploy/sandbox-channels.json) configures the six seeded channels.
  const expected = [1, 2, 3, 4, 5, 6].flatMap((channel) =>
    [
      'getStockBatchRequests',
      'insertProductStocks',
      'insertProductStocksFromExtraStockList',
      'reconcileChannelStock',
      'updateProductStocks',
      'updateProductStocksFromExtraStockList',
    ].map((flow) => `stock/${channel}/${flow}/schedule`),
  );
  expect(schedules.sort()).toEqual(expected.sort());
  const logs = cluster.workers.map((w) => readFileSync(w.logFile, 'utf8'));
  expect(logs.filter((l) => /Schedules: \d+ created/.test(l))).toHaveLength(WORKERS);

  await control('POST', 'stocks', { random: { count: 30, seed: 5 } });
  const handle = client.schedule.getHandle('stock/1/updateProductStocks/schedule');
  await handle.trigger();
  const flow = client.workflow.getHandle('stock/1/updateProductStocks');
  for (let i = 0; i < 120; i++) {
    const status = await flow.describe().then(
      (d) => d.status.name,
      () => undefined,
    );
    if (status === 'COMPLETED') break;
    await new Promise((r) => setTimeout(r, 500));
  }
  expect((await flow.describe()).status.name).toBe('COMPLETED');
  expect((await handle.describe()).info.recentActions.length).toBeGreaterThan(0);
}, 180_000);

describe("a channel's request rate, held by the server across worker processes", () => {
  const MARKETPLACE_RATE = 2;
  // No scheduled run of the cluster's own workers may add marketplace requests to what is counted.
  beforeAll(async () => {
    for await (const schedule of client.schedule.list()) {
      await client.schedule.getHandle(schedule.scheduleId).pause('rate test');
    }
  });
  /** Workers on a task queue of their own, whose channels file declares Shopify's rate. */
  async function runAtRate(taskQueue: string, workers: number, requestsPerSecond: number) {
    const file = join(mkdtempSync(join(tmpdir(), 'stockflow-rate-')), 'channels.json');
    const channels = JSON.parse(readFileSync(cluster.stockflowEnv.STOCKFLOW_CHANNELS_FILE ?? '', 'utf8')) as {
      channels: Record<string, unknown>[];
    };
    for (const channel of channels.channels) channel.limits = { itemsPerRequest: 25, requestsPerSecond };
    writeFileSync(file, JSON.stringify(channels));
    const env = { STOCKFLOW_TASK_QUEUE: taskQueue, STOCKFLOW_CHANNELS_FILE: file, STOCKFLOW_SCHEDULES: 'off' };
    const started = await Promise.all(Array.from({ length: workers }, () => cluster.startWorker(env)));
    try {
      await control('POST', 'seed', { skus: 400 });
      await control('PUT', 'faults/marketplace', { requestsPerSecond: MARKETPLACE_RATE });
      const stockflow = new StockflowClient(client, taskQueue);
      const summary = (await (
        await stockflow.start('insertProductStocks', { channelId: 2, tuning: { retryMaxInterval: '2s' } })
      ).result()) as SendFlowSummary;
      expect(summary).toMatchObject({ pages: 16, stocksSent: 392, pagesFailed: 0 });
      const stats = await control<{ marketplace: { rateLimited429: number } }>('GET', 'stats');
      return stats.marketplace.rateLimited429;
    } finally {
      await control('PUT', 'faults/marketplace', { requestsPerSecond: 0 });
      await Promise.all(started.map((w) => w.stop()));
    }
  }

  test('three workers held to half the marketplace rate meet no 429', async () => {
    expect(await runAtRate('stockflow-rate-held', 3, MARKETPLACE_RATE / 2)).toBe(0);
  }, 240_000);

  test('control: without the limit the same flow is answered 429', async () => {
    expect(await runAtRate('stockflow-rate-free', 1, 1_000)).toBeGreaterThan(0);
  }, 240_000);
});
