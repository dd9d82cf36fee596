/**
 * Pause and resume as Workflow Updates: the validator refuses what would do nothing (so an operator is told, not
 * silently buffered), the handler answers with the flow's progress after the change. A refused Update leaves no trace
 * in history.
 */
import type { UpdateDefinition } from '@temporalio/common';
import { log, setHandler } from '@temporalio/workflow';

interface Pausable {
  paused: boolean;
}

export interface PauseResumeUpdates<P> {
  pause: UpdateDefinition<P, []>;
  resume: UpdateDefinition<P, []>;
}

/**
 * Registers pause/resume on a flow that takes pages one after another. `pagesLeft()` is false once the run is past
 * its last page (awaiting batches or done): a pause could hold nothing then, so it is refused.
 */
export function handlePauseResume<P extends Pausable>(
  progress: P,
  updates: PauseResumeUpdates<P>,
  flow: { name: string; pagesLeft: () => boolean; publish: () => void },
): void {
  const answer = (paused: boolean): P => {
    progress.paused = paused;
    log.info(paused ? 'paused by an operator' : 'resumed by an operator');
    flow.publish();
    return { ...progress };
  };
  setHandler(updates.pause, () => answer(true), {
    validator: () => {
      if (progress.paused) throw new Error(`${flow.name} is already paused`);
      if (!flow.pagesLeft()) {
        throw new Error(`${flow.name} has no pages left to hold: it is only awaiting what it already sent`);
      }
    },
  });
  setHandler(updates.resume, () => answer(false), {
    validator: () => {
      if (!progress.paused) throw new Error(`${flow.name} is not paused`);
    },
  });
}

/** Registers pause/resume on a flow without pages: both are refused, saying why. */
export function refusePauseResume<P>(updates: PauseResumeUpdates<P>, why: string): void {
  for (const update of [updates.pause, updates.resume]) {
    setHandler(update, () => Promise.reject(new Error(why)), {
      validator: () => {
        throw new Error(why);
      },
    });
  }
}
