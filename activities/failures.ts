/**
 * The one translation from the clients' error hierarchy to Temporal failures, so the workflows' retry policy does the
 * right thing per error class: 429 waits exactly its Retry-After, 5xx/timeouts back off, 4xx and bad data fail the
 * page at once (the run goes on with the next one).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
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

/** How often a working activity heartbeats (its heartbeat timeout is 20 s: see workflows/activity-proxies.ts). */
const HEARTBEAT_EVERY_MS = 5_000;

/**
 * Runs an activity body: heartbeats while it works (a dead worker is noticed within the heartbeat timeout), and
 * translates client errors on the way out.
 *
 * `checkpoint(details)` records what a step has done that must never be done twice (a page the channel accepted): the
 * details ride on every later heartbeat, the SDK flushes them before reporting a failure, and the next attempt finds
 * them in `checkpointed` (the previous attempt's last details; undefined on a first attempt).
 */
export async function activityStep<T>(
  body: (step: {
    checkpointed: unknown;
    checkpoint(details: unknown): void;
    /** Runs `fn` to its end even if the activity is cancelled meanwhile (see below). */
    uninterrupted<R>(fn: () => Promise<R>): Promise<R>;
  }) => Promise<T>,
): Promise<T> {
  const context = Context.current();
  let details: unknown = context.info.heartbeatDetails;
  // No heartbeat at the start: the SDK sends the first heartbeat at once and throttles the next ones, so the first
  // should be a step's checkpoint (if it has one), not an empty beat that delays it.
  const heartbeat = setInterval(() => context.heartbeat(details), HEARTBEAT_EVERY_MS);
  const checkpoint = (next: unknown) => {
    details = next;
    context.heartbeat(next);
  };
  const uninterrupted = <R>(fn: () => Promise<R>) => abortableRequests(undefined, fn);
  try {
    // Cancellation (the workflow waits for it: WAIT_CANCELLATION_COMPLETED) aborts the HTTP call in progress, except
    // inside `uninterrupted` steps; the activity then reports itself cancelled.
    return await abortableRequests(context.cancellationSignal, () =>
      body({ checkpointed: context.info.heartbeatDetails, checkpoint, uninterrupted }),
    );
  } catch (err) {
    if (context.cancellationSignal.aborted) throw context.cancellationSignal.reason ?? err;
    throw toActivityFailure(err);
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
