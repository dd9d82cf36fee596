/**
 * The local stack's sandbox state survives a restart: a snapshot read into a fresh sandbox holds the same catalogue,
 * batches, reports and marketplace, and stays wired (the same change afterwards has the same effect on both).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSandboxState, saveSandboxState } from '../../src/sandbox/snapshot';
import { SandboxState } from '../../src/sandbox/state';

test('a snapshot restores the whole sandbox, still wired', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'stockflow-snapshot-')), 'sandbox-state.bin');
  const before = new SandboxState();
  before.catalog.seed({ skus: 300 });
  before.catalog.writes.randomStockChanges(60, 3);
  const batch = before.catalog.batches.create(1, 'productstock');
  const [stock] = before.catalog.stocks.page(1, 0, 'inserts', 0, 1).results;
  before.catalog.batches.update(1, batch.pk, { status: 'commit', objects: [{ pk: stock!.pk, version_date: null }] });
  before.marketplace.setOptions({ batchDelayMs: 12_345 });
  before.marketplace.holdTrendyol('SF0000001', 7);
  saveSandboxState(before, file);

  const after = new SandboxState();
  expect(loadSandboxState(after, file)).toBe(true);
  expect(after.catalog.describe()).toEqual(before.catalog.describe());
  expect([...after.catalog.batches.all.values()]).toEqual([...before.catalog.batches.all.values()]);
  expect(after.catalog.checks.expected(1, 0)).toEqual(before.catalog.checks.expected(1, 0));
  expect(after.catalog.stocks.page(1, 0, 'updates', 0, 1000)).toEqual(
    before.catalog.stocks.page(1, 0, 'updates', 0, 1000),
  );
  expect(after.marketplace.stats()).toEqual(before.marketplace.stats());
  expect(after.marketplace.trendyolQuantitiesOf()).toEqual(before.marketplace.trendyolQuantitiesOf());
  expect(after.marketplace.setOptions({})).toEqual(before.marketplace.setOptions({}));

  // Still one wired state: the same change on both moves both alike (Whippy Ware -> Omnitron's lists -> checks).
  before.catalog.writes.randomStockChanges(25, 9);
  after.catalog.writes.randomStockChanges(25, 9);
  expect(after.catalog.stocks.page(2, 0, 'updates', 0, 1000)).toEqual(
    before.catalog.stocks.page(2, 0, 'updates', 0, 1000),
  );
  expect(after.catalog.checks.expected(2, 1)).toEqual(before.catalog.checks.expected(2, 1));
  expect(after.catalog.batches.create(1, 'productstock').pk).toBe(before.catalog.batches.create(1, 'productstock').pk);

  // No snapshot: nothing read, the sandbox is seeded as before.
  expect(loadSandboxState(new SandboxState(), join(tmpdir(), 'no-such-snapshot.bin'))).toBe(false);
});
