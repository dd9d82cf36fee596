/**
 * Determinism of the workflow code, proven by replay with the same bundle the workers run:
 *  - histories recorded just now (every workflow type, both channels, continue-as-new chains and awaiting children)
 *    replay without a nondeterminism error — the code is deterministic against itself;
 *  - the committed fixtures (test/replay/histories/<workflowType>.json, written by record-histories.ts) replay against
 *    the CURRENT bundle — a code change that would break executions already running fails here;
 *  - a tampered history is rejected — the harness can actually fail.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker, type ReplayWorkerOptions } from '@temporalio/worker';
import { connectIsolatedTemporal, type IsolatedTemporal } from '../support/isolated-namespace';
import { historyFromJson, workflowTypeOf, type History } from '../support/histories';
import { TEST_WORKFLOW_BUNDLE } from '../support/shared-env';
import { SEND_FLOWS } from '../../workflows/definitions';
import { WORKFLOW_TYPES, recordHistories } from './record';

const FIXTURE_DIR = join(__dirname, 'histories');

function bundlePath(): string {
  const codePath = process.env[TEST_WORKFLOW_BUNDLE];
  if (!codePath) throw new Error(`${TEST_WORKFLOW_BUNDLE} is not set: run through jest (global setup bundles once)`);
  return codePath;
}

/** The same bundle the test workers run. */
function replayOptions(): ReplayWorkerOptions {
  return { workflowBundle: { codePath: bundlePath() } };
}

/** Replays every history; returns `workflowId: error` for each that failed (empty = all deterministic). */
async function replayAll(histories: { workflowId: string; history: History }[]): Promise<string[]> {
  const failures: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories(replayOptions(), histories)) {
    replayed++;
    if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
  }
  if (replayed !== histories.length) failures.push(`replayed ${replayed} of ${histories.length} histories`);
  return failures;
}

/**
 * Histories of shapes the code no longer produces but must still replay (each change guarded by `patched`), kept by
 * name: `<workflowType>.<what changed since>.json`.
 */
const EARLIER_DIR = join(FIXTURE_DIR, 'earlier');

function loadFixtures(dir = FIXTURE_DIR): { file: string; workflowId: string; history: History }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({
      file,
      workflowId: `fixture-${file}`,
      history: historyFromJson(JSON.parse(readFileSync(join(dir, file), 'utf8'))),
    }));
}

describe('replay', () => {
  let temporal: IsolatedTemporal;
  beforeAll(async () => {
    temporal = await connectIsolatedTemporal('replay');
  });
  afterAll(async () => {
    await temporal?.close();
  });

  test('histories of real runs of every workflow type replay without nondeterminism', async () => {
    const runs = await recordHistories({
      client: temporal.client,
      nativeConnection: temporal.nativeConnection,
      namespace: temporal.namespace,
      workflowBundlePath: bundlePath(),
    });
    expect([...new Set(runs.map((r) => r.workflowType))].sort()).toEqual([...WORKFLOW_TYPES].sort());
    // Runs are told apart by run id: a chain shares its workflow id.
    expect(
      await replayAll(runs.map((r) => ({ workflowId: `${r.workflowId}@${r.runId}`, history: r.history }))),
    ).toEqual([]);
  });

  test('every committed fixture replays against the current bundle, one per workflow type', async () => {
    const fixtures = loadFixtures();
    expect(fixtures.map((f) => f.file)).toEqual(WORKFLOW_TYPES.map((t) => `${t}.json`).sort());
    for (const fixture of fixtures) expect(`${workflowTypeOf(fixture.history)}.json`).toBe(fixture.file);
    expect(await replayAll(fixtures)).toEqual([]);
  });

  test('histories recorded before a patched change still replay (executions running across an upgrade)', async () => {
    const earlier = loadFixtures(EARLIER_DIR);
    expect(earlier.map((f) => f.file)).toEqual([
      'getStockBatchRequests.before-asking-send-flows.json',
      ...SEND_FLOWS.flatMap((t) => [`${t}.openbatch-then-sendpage.json`, `${t}.three-activities-a-page.json`]).sort(),
    ]);
    for (const fixture of earlier) expect(fixture.file.startsWith(`${workflowTypeOf(fixture.history)}.`)).toBe(true);
    // The send flows' are the old shapes: an openBatch per page, and before that commitPage and sendBatch too.
    const names = earlier.flatMap(
      (f) => f.history.events?.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name) ?? [],
    );
    expect(names).toEqual(expect.arrayContaining(['openBatch', 'commitPage', 'sendBatch']));
    expect(await replayAll(earlier)).toEqual([]);
  });

  test('a history the code would not produce is rejected (the replay check can fail)', async () => {
    const json = JSON.parse(readFileSync(join(FIXTURE_DIR, 'updateProductStocks.json'), 'utf8')) as {
      events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[];
    };
    const scheduled = json.events.find(
      (e) => e.activityTaskScheduledEventAttributes,
    )?.activityTaskScheduledEventAttributes;
    expect(scheduled?.activityType.name).toBe('planFlow');
    scheduled!.activityType.name = 'somethingElse';
    const history = historyFromJson(json);
    const failures = await replayAll([{ workflowId: 'tampered', history }]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/DeterminismViolationError/);
  });
});
