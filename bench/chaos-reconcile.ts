/**
 * The chaos `reconcile` scenario: both channels' marketplaces out of step — the N changed stocks never sent, and
 * drift on top (a seller's edits) — repaired by `reconcileChannelStock` with `repair: true` while the marketplace and
 * Omnitron fail some requests and the worker is SIGKILLed once; then the same verification as every scenario (every
 * listed SKU against Omnitron, batches stuck, stocks delivered twice), plus: every drifted SKU reported exactly once,
 * and a second reconcile, without faults, finds nothing left to repair.
 */
import type { WorkflowHandleWithFirstExecutionRunId as Handle } from '@temporalio/client';
import { OmnitronClient } from '../src/omnitron/client';
import { DEFAULT_CREDENTIALS } from '../src/sandbox/catalog-state';
import type { ReconcileSummary } from '../workflows/reconcile';
import type { FlowOutcome, Scenario, ScenarioRun } from './chaos';

const CHANNEL_IDS = [1, 2] as const;
/** Marketplace SKUs changed behind Omnitron's back on top of the stocks not yet sent. */
const EXTRA_DRIFT = 300;

/** Distinct SKUs of a reconcile's reports on a channel, and whether any SKU was reported twice. */
async function reportedSkus(run: ScenarioRun, channelId: number, prefix: string) {
  const omnitron = new OmnitronClient({ baseURL: run.stack.sandbox.urls.omnitron, ...DEFAULT_CREDENTIALS });
  const seen = new Set<string>();
  let twice = 0;
  for await (const report of omnitron.iterateErrorReports(channelId, { error_code__startswith: prefix })) {
    const { sku } = JSON.parse(report.raw_response ?? '{}') as { sku: string };
    if (seen.has(sku)) twice++;
    seen.add(sku);
  }
  return { distinct: seen.size, twice };
}

export const RECONCILE_SCENARIO: Scenario = {
  id: 'reconcile',
  title: 'reconcile --repair: stocks out of step + marketplace drift, faults, a worker SIGKILL',
  defaultStocks: 10_000,
  faults: {
    marketplace: { errorRate: 0.05, rateLimitRate: 0.03, retryAfterSeconds: 1 },
    omnitron: { errorRate: 0.03 },
  },
  async start(run): Promise<Handle[]> {
    for (const channelId of CHANNEL_IDS) {
      await run.stack.control('POST', `channels/${channelId}/drift`, { random: { count: EXTRA_DRIFT, seed: 21 } });
    }
    // The main list: where the scenario's stocks changed, and what the verification compares.
    return Promise.all(
      CHANNEL_IDS.map((channelId) =>
        run.stack.stockflow.start('reconcileChannelStock', { channelId, stockListId: 1, repair: true }),
      ),
    );
  },
  async disrupt(run, handles) {
    const reached = await run.progressReached(handles, 0.4);
    if (reached !== false) {
      const killed = run.worker.pid;
      await run.worker.kill();
      run.worker = await run.stack.startWorker();
      run.log(`worker ${killed} SIGKILLed at ${(reached * 100).toFixed(1)}% of the SKUs compared`);
      run.details.push(`worker ${killed} SIGKILLed at ${(reached * 100).toFixed(1)}% compared; a new one started`);
    }
    run.checks.push({ what: 'worker SIGKILLed during the reconcile', ok: reached !== false });
  },
  async after(run, outcomes: FlowOutcome[]) {
    for (const outcome of outcomes) {
      const summary = outcome.summary as ReconcileSummary | undefined;
      if (!summary) continue;
      const { channelId } = summary;
      const outOfStep = run.toDeliver[channelId] ?? 0;
      // A random drift may land a SKU on its expected quantity by chance: then it is rightly a match.
      run.checks.push({
        what:
          `channel ${channelId}: drift found for the ${outOfStep} stocks out of step (${summary.drift} drift, ` +
          `${summary.missing} missing, ${summary.unknown} unknown)`,
        ok:
          summary.drift <= outOfStep &&
          summary.drift >= outOfStep - EXTRA_DRIFT &&
          summary.missing === 0 &&
          summary.unknown === 0,
      });
      run.checks.push({
        what: `channel ${channelId}: every drifted SKU repaired (${summary.repaired} repaired, ${summary.repairFailed} failed)`,
        ok: summary.repaired === summary.drift && summary.repairFailed === 0 && summary.changed === 0,
      });
      const reports = await reportedSkus(run, channelId, summary.reportPrefix);
      run.checks.push({
        what: `channel ${channelId}: one report per drifted SKU (${reports.distinct} SKUs, ${reports.twice} twice)`,
        ok: reports.distinct === summary.drift && reports.twice === 0,
      });
      const again = (await (
        await run.stack.stockflow.start('reconcileChannelStock', { channelId, stockListId: 1 })
      ).result()) as ReconcileSummary;
      run.checks.push({
        what: `channel ${channelId}: a second reconcile finds ${again.drift} drift, ${again.missing} missing`,
        ok: again.drift === 0 && again.missing === 0 && again.unknown === 0,
      });
    }
  },
};
