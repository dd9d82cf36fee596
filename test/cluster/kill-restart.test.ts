/**
 * The cluster path under a node failure and a server restart: both channels, 20,000 changed stocks each, three worker
 * processes on the native compose cluster (Temporal server on PostgreSQL); one worker is SIGKILLed mid-run and the
 * Temporal server process restarted mid-run. The chaos suite's own scenario and verification (bench/chaos.ts): every
 * SKU right at the marketplace, no batch stuck, nothing sent twice.
 */
import { passed, runScenario, SCENARIOS } from '../../bench/chaos';

test('three workers, one SIGKILLed, the server restarted: every SKU right, 0 batches stuck, nothing sent twice', async () => {
  const scenario = SCENARIOS.find((s) => s.id === 'kill-and-restart');
  if (!scenario) throw new Error('bench/chaos.ts has no kill-and-restart scenario');
  const result = await runScenario(scenario, 20_000, 'cluster');
  process.stderr.write(`${result.details.join('\n')}\n`);
  expect(result.checks.filter((c) => !c.ok)).toEqual([]);
  expect(result).toMatchObject({ completed: true, skusWrong: 0, batchesStuck: 0, pagesSentTwice: 0 });
  expect(result.channels.map((c) => c.skusChecked)).toEqual([20_000, 20_000]);
  expect(passed(result)).toBe(true);
}, 900_000);
