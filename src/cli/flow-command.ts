/**
 * What every flow command shares: `<flow> --channel <id>`, the exit codes, and finding a flow's latest run.
 *
 * Exit codes (scripts and schedulers rely on them):
 *   0  ok: started/attached, pause/resume answered, or the run completed with no failed item
 *   1  the run failed, was cancelled, terminated or timed out; no run found; a pause/resume refused; Temporal
 *      unreachable
 *   2  usage error: unknown flow, bad or conflicting option
 *   3  the run completed but some items failed (stocks, malformed records, pages or batches)
 * `status` reports the state of the run the same way, so `stockflow status … || alert` works.
 */
import { Argument, InvalidArgumentError, type Command, type CommanderError } from 'commander';
import { WorkflowNotFoundError, type WorkflowExecutionDescription, type WorkflowHandle } from '@temporalio/client';
import { STOCK_FLOWS, type StockFlowName } from '../../workflows/definitions';

export const EXIT = { ok: 0, runFailed: 1, usage: 2, itemsFailed: 3 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Which run a command is about: a flow of a channel (one run at a time each). */
export interface FlowRef {
  flow: StockFlowName;
  channelId: number;
}

function parseChannel(value: string): number {
  const id = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(id) || id < 1) {
    throw new InvalidArgumentError('expected a positive integer (an Omnitron channel id)');
  }
  return id;
}

/** Commander's own errors (unknown option, missing --channel, a flow not in STOCK_FLOWS) exit with the usage code. */
function usageExit(err: CommanderError): never {
  process.exit(err.exitCode === 0 ? EXIT.ok : EXIT.usage);
}

/** Adds `<flow> --channel <id>` and the usage exit code to a flow command. */
export function flowCommand(program: Command, name: string, description: string): Command {
  return program
    .command(name)
    .description(description)
    .addArgument(new Argument('<flow>', 'the stock flow').choices(STOCK_FLOWS))
    .requiredOption('--channel <id>', 'Omnitron channel id', parseChannel)
    .exitOverride(usageExit);
}

/** Sets the exit code without cutting stdout short (process.exit could drop buffered output on a pipe). */
export async function runAction(action: () => Promise<ExitCode>): Promise<void> {
  process.exitCode = await action();
}

export async function describeOrUndefined(handle: WorkflowHandle): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/**
 * A failure's messages from the outside in. Temporal wraps an activity's error in "Activity task failed" (and a
 * child's in "Child Workflow execution failed"): the last message is the one that says what went wrong.
 */
export function failureChain(err: unknown): string[] {
  const chain: string[] = [];
  for (let e: unknown = err; e instanceof Error; e = e.cause) chain.push(e.message);
  return chain.length > 0 ? chain : [String(err)];
}
