/**
 * The one translation from the clients' error hierarchy to Temporal failures, so the workflows' retry policy does the
 * right thing per error class: 429 waits exactly its Retry-After, 5xx/timeouts back off, 4xx and bad data fail the
 * page at once (the run goes on with the next one).
 */
import { setMaxListeners } from 'node:events';
import { ApplicationFailure, Context } from '@temporalio/activity';
import pLimit from 'p-limit';
import type { Duration } from '@temporalio/common';
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

/** The next attempt's delay after an attempt that made progress (see activityStep). */
export const RETRY_AFTER_PROGRESS = '1 second';

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
 * Runs an activity body: heartbeats while it works (a dead worker is noticed within the heartbeat timeout), and
 * translates client errors on the way out.
 *
 * `checkpoint(details)` records what a step has done that must never be done twice (a page the channel accepted): the
 * details ride on every later heartbeat, the SDK flushes them before reporting a failure, and the next attempt finds
 * them in `checkpointed` (the previous attempt's last details; undefined on a first attempt). A failure carries the
 * last checkpoint as its `details`, so a workflow whose activity failed for good still learns what it had done.
 *
 * An attempt that got further than the one before (it checkpointed something new) and then failed on a retryable
 * error is retried after {@link RETRY_AFTER_PROGRESS}, not after the grown backoff: under a flaky API (a few % of
 * calls failing) a step of many calls then advances call by call instead of waiting minutes between attempts. An
 * attempt without progress backs off as the policy says.
 */
export async function activityStep<T>(body: (step: ActivityStepControls) => Promise<T>): Promise<T> {
  const context = Context.current();
  let details: unknown = context.info.heartbeatDetails;
  // No heartbeat at the start: the SDK sends the first heartbeat at once and throttles the next ones, so the first
  // should be a step's checkpoint (if it has one), not an empty beat that delays it.
  const heartbeat = setInterval(() => context.heartbeat(details), HEARTBEAT_EVERY_MS);
  let progressed = false;
  const checkpoint = (next: unknown, options?: { progress: boolean }) => {
    details = next;
    if (options?.progress !== false) progressed = true;
    context.heartbeat(next);
  };
  const uninterrupted = <R>(fn: () => Promise<R>) => abortableRequests(undefined, fn);
  // Every request in flight listens to the signal (a step may run a few dozen at once); each removes its listener
  // when it ends, so many listeners are concurrency, not a leak.
  setMaxListeners(256, context.cancellationSignal);
  try {
    // Cancellation (the workflow waits for it: WAIT_CANCELLATION_COMPLETED) aborts the HTTP call in progress, except
    // inside `uninterrupted` steps; the activity then reports itself cancelled.
    return await abortableRequests(context.cancellationSignal, () =>
      body({ checkpointed: context.info.heartbeatDetails, checkpoint, uninterrupted }),
    );
  } catch (err) {
    if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason ?? err;
    const failure = toActivityFailure(err);
    const retryAfterProgress =
      progressed && failure instanceof ApplicationFailure && !failure.nonRetryable && !failure.nextRetryDelay;
    if (details === undefined && !retryAfterProgress) throw failure;
    // The last checkpoint rides on the failure: a workflow whose activity failed for good learns what it had done
    // (sendPage's batch opened ahead: PageCheckpoint) from `details`, as it would from a timeout's heartbeat.
    throw ApplicationFailure.fromError(failure, {
      ...(details === undefined ? {} : { details: [details] }),
      ...(retryAfterProgress ? { nextRetryDelay: RETRY_AFTER_PROGRESS } : {}),
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
