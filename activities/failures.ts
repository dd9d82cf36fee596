/**
 * The one translation from the clients' error hierarchy to Temporal failures, so the workflows' retry policy does the
 * right thing per error class: 429 waits exactly its Retry-After, 5xx/timeouts back off, 4xx and bad data fail the
 * page at once (the run goes on with the next one).
 */
import { setMaxListeners } from 'node:events';
import { ApplicationFailure, Context } from '@temporalio/activity';
import pLimit from 'p-limit';
import type { Duration } from '@temporalio/common';
import { msOptionalToNumber } from '@temporalio/common/lib/time';
import { abortableRequests } from '../src/http/client';
import { RateLimitedError, StockflowError } from '../src/http/errors';

export function toActivityFailure(err: unknown): unknown {
  if (err instanceof ApplicationFailure || !(err instanceof StockflowError)) return err;
  return ApplicationFailure.create({
    type: err.type,
    message: err.message,
    nonRetryable: !err.retryable,
    nextRetryDelay: err instanceof RateLimitedError ? err.retryAfterMs : undefined,
  });
}

/** The delay before the first retry of a failed call: under a flaky API the next try of one call usually passes. */
export const FIRST_RETRY_MS = 250;
/** The ceiling of the delay when the retry policy names none. */
const DEFAULT_MAX_RETRY_MS = 60_000;

/** How often a working activity heartbeats (its heartbeat timeout is 20 s: see workflows/activity-proxies.ts). */
const HEARTBEAT_EVERY_MS = 5_000;

/** What {@link activityStep} hands its body. */
export interface ActivityStepControls {
  /** The previous attempt's last checkpoint (undefined on a first attempt). */
  checkpointed: unknown;
  /** `progress: false` for bookkeeping that is not progress (a count of failed tries). */
  checkpoint(details: unknown, options?: { progress: boolean }): void;
  /** Runs `fn` to its end even if the activity is cancelled meanwhile (see activityStep). */
  uninterrupted<R>(fn: () => Promise<R>): Promise<R>;
}

/**
 * What an attempt heartbeats: its step's checkpoint, and how many attempts in a row failed without progress (the
 * backoff's exponent). Attempts of an older build heartbeat the checkpoint alone, which reads as no stalls.
 */
export interface StepDetails {
  stockflowStep: 1;
  checkpoint?: unknown;
  stalls: number;
}

/** The checkpoint and stall count in an attempt's heartbeat details, whichever build wrote them. */
export function readStepDetails(raw: unknown): { checkpoint: unknown; stalls: number } {
  if (raw !== null && typeof raw === 'object' && (raw as Partial<StepDetails>).stockflowStep === 1) {
    const { checkpoint, stalls } = raw as StepDetails;
    return { checkpoint, stalls: Number.isInteger(stalls) && stalls > 0 ? stalls : 0 };
  }
  return { checkpoint: raw ?? undefined, stalls: 0 };
}

/**
 * Runs an activity body: heartbeats while it works (a dead worker is noticed within the heartbeat timeout), and
 * translates client errors on the way out.
 *
 * `checkpoint(details)` records what a step has done that must never be done twice (a page the channel accepted): the
 * details ride on every later heartbeat, the SDK flushes them before reporting a failure, and the next attempt finds
 * them in `checkpointed` (the previous attempt's last checkpoint; undefined on a first attempt). A failure carries the
 * last checkpoint as its `details`, so a workflow whose activity failed for good still learns what it had done.
 *
 * The delay before the next attempt (after a retryable failure that names none, as a 429's Retry-After does) grows
 * with the attempts in a row that failed without progress, not with all attempts: {@link FIRST_RETRY_MS}, doubling
 * per stalled attempt up to the policy's maximum interval. An attempt that got further than the one before (it
 * checkpointed something new) resets it. Under a flaky API (a few % of calls failing) a step of many calls then
 * resumes at the failed call a moment later instead of waiting out a backoff grown by the calls that went through;
 * an API that is down still backs off to the ceiling.
 */
export async function activityStep<T>(body: (step: ActivityStepControls) => Promise<T>): Promise<T> {
  const context = Context.current();
  const previous = readStepDetails(context.info.heartbeatDetails);
  let checkpointed = previous.checkpoint;
  const beat = (stalls: number) => ({ stockflowStep: 1, checkpoint: checkpointed, stalls }) satisfies StepDetails;
  // No heartbeat at the start: the SDK sends the first heartbeat at once and throttles the next ones, so the first
  // should be a step's checkpoint (if it has one), not an empty beat that delays it.
  let progressed = false;
  const stallsSoFar = () => (progressed ? 0 : previous.stalls);
  const heartbeat = setInterval(() => context.heartbeat(beat(stallsSoFar())), HEARTBEAT_EVERY_MS);
  const checkpoint = (next: unknown, options?: { progress: boolean }) => {
    checkpointed = next;
    if (options?.progress !== false) progressed = true;
    context.heartbeat(beat(stallsSoFar()));
  };
  const uninterrupted = <R>(fn: () => Promise<R>) => abortableRequests(undefined, fn);
  // Every request in flight listens to the signal (a step may run a few dozen at once); each removes its listener
  // when it ends, so many listeners are concurrency, not a leak.
  setMaxListeners(256, context.cancellationSignal);
  try {
    // Cancellation (the workflow waits for it: WAIT_CANCELLATION_COMPLETED) aborts the HTTP call in progress, except
    // inside `uninterrupted` steps; the activity then reports itself cancelled.
    return await abortableRequests(context.cancellationSignal, () =>
      body({ checkpointed: previous.checkpoint, checkpoint, uninterrupted }),
    );
  } catch (err) {
    if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason ?? err;
    const failure = ApplicationFailure.fromError(toActivityFailure(err));
    if (failure.nonRetryable || failure.nextRetryDelay) {
      if (checkpointed === undefined) throw failure;
      throw ApplicationFailure.fromError(failure, { details: [checkpointed] });
    }
    const stalls = progressed ? 0 : previous.stalls + 1;
    // The SDK flushes this last heartbeat before it reports the failure: the next attempt reads its stall count.
    context.heartbeat(beat(stalls));
    const maxMs = msOptionalToNumber(context.info.retryPolicy?.maximumInterval) ?? DEFAULT_MAX_RETRY_MS;
    throw ApplicationFailure.fromError(failure, {
      ...(checkpointed === undefined ? {} : { details: [checkpointed] }),
      nextRetryDelay: Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, stalls - 1), maxMs),
    });
  } finally {
    clearInterval(heartbeat);
  }
}

/** A failure no retry can mend (missing configuration, bad input): the workflow sees it at once. */
export function permanent(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** A condition that passes in moments (another flow's commit of the channel): retried after `delay`. */
export function retryLater(type: string, message: string, delay: Duration = '2 seconds'): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: false, nextRetryDelay: delay });
}

/**
 * Runs `task` for every item, `concurrency` at a time. On the first failure it starts no more, waits for the
 * ones running, then throws that failure: no write of a failed attempt may race the next attempt's look at what was
 * written (it would write those again).
 */
export async function eachUntilFailure<T>(
  concurrency: number,
  items: readonly T[],
  task: (item: T) => Promise<void>,
): Promise<void> {
  const limit = pLimit(concurrency);
  let failed = false;
  const settled = await Promise.allSettled(
    items.map((item) =>
      limit(async () => {
        if (failed) return;
        try {
          await task(item);
        } catch (err) {
          failed = true;
          throw err;
        }
      }),
    ),
  );
  const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}
