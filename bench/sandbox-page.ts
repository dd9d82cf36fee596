/**
 * Sandbox page latency at catalogue scale: seeds 1,000,000 SKUs in-process, then times real HTTP calls over loopback
 * through the clients — pages of 1,000 of Omnitron `updates/` and `inserts/` and Whippy Ware `stocks/`.
 *
 *   npm run bench:sandbox [-- skus]
 */
import { performance } from 'node:perf_hooks';
import { OmnitronClient } from '../src/omnitron/client';
import { batchObject } from '../src/omnitron/schemas';
import { startSandbox } from '../src/sandbox/server';
import { WhippyStockClient } from '../src/stock-api/client';

const SKUS = Number(process.argv[2] ?? 1_000_000);
const ROUNDS = 30;

async function time(name: string, call: () => Promise<unknown>): Promise<void> {
  await call();
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    await call();
    samples.push(performance.now() - start);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number) => (samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? 0).toFixed(1);
  console.log(`${name.padEnd(34)} median ${at(0.5)} ms  p95 ${at(0.95)} ms`);
}

async function main(): Promise<void> {
  const sandbox = await startSandbox({ port: 0 });
  try {
    const seedStart = performance.now();
    const seeded = sandbox.state.catalog.seed({ skus: SKUS });
    console.log(`seeded ${SKUS} SKUs in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
    const changes = performance.now();
    // Updates exist only for stocks already sent: mark the first 20,000 of the main list as sent, then change them.
    const omnitron = new OmnitronClient({ baseURL: sandbox.urls.omnitron, ...seeded.credentials.omnitron });
    const whippy = new WhippyStockClient({ baseURL: sandbox.urls.whippy, apiToken: seeded.credentials.whippyToken });
    for (let i = 0; i < 20; i++) {
      const batch = await omnitron.createBatch(1);
      const page = await omnitron.fetchProductStocks({ channelId: 1, kind: 'inserts', limit: 1000 });
      await omnitron.commitBatch(
        1,
        batch.pk,
        page.stocks.map((s) => ({ pk: s.pk, version_date: s.modified_date })),
      );
      await omnitron.markDone(
        1,
        batch.pk,
        page.stocks.map((s) => batchObject(s.pk, { remote_id: String(s.product) })),
      );
    }
    sandbox.state.catalog.writes.randomStockChanges(200_000, 7);
    console.log(`20 batches + 200,000 random stock changes in ${((performance.now() - changes) / 1000).toFixed(1)} s`);

    await time('omnitron updates/ (limit 1000)', () =>
      omnitron.fetchProductStocks({ channelId: 1, kind: 'updates', limit: 1000 }),
    );
    await time('omnitron inserts/ (limit 1000)', () =>
      omnitron.fetchProductStocks({ channelId: 1, kind: 'inserts', limit: 1000 }),
    );
    await time('omnitron extra inserts/ page 50', () =>
      omnitron.fetchProductStocks({ channelId: 2, kind: 'inserts', stockListId: 2, limit: 1000, page: 50 }),
    );
    await time('whippy stocks/ (limit 1000)', () => whippy.listStocks({ limit: 1000 }));
    await time('whippy stocks/ page 2000', () => whippy.listStocks({ limit: 1000, page: 2000 }));
    await time('whippy stocks/?location=111', () => whippy.listStocks({ location: '111', limit: 1000, page: 10 }));
    await time('whippy stocks/?sku=', () => whippy.listStocks({ sku: 'SF0500000' }));
    await time('whippy stocks/?stock__gte=30 (scan)', () => whippy.listStocks({ stock__gte: 30, limit: 1000 }));
    const rss = process.memoryUsage().rss / 1024 / 1024;
    console.log(`RSS ${rss.toFixed(0)} MiB`);
  } finally {
    await sandbox.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
