/**
 * The one duration grammar of stockflow: the Temporal SDK's own (the `ms` package: "30s", "5 minutes", "1h", "2 days",
 * or milliseconds as a number), so flow inputs, the channels file, the environment and Temporal's own options all read
 * a duration alike. Pure: the workflow bundle, the worker and the CLI import it.
 */
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { z } from 'zod';

/** Milliseconds of a valid duration (strings as the SDK reads them); throws on anything else. */
export function durationMs(value: string | number): number {
  return msToNumber(value as Duration);
}

function isDuration(value: string): boolean {
  try {
    return durationMs(value) > 0;
  } catch {
    return false;
  }
}

/** A positive duration as text ("30s", "5 minutes", "24h"), in every schema that takes one. */
export const durationText = z.string().refine(isDuration, 'expected a duration like "30s", "5 minutes" or "24h"');

/** A duration as text or as positive milliseconds (flow inputs). */
export const duration = z.union([durationText, z.number().int().positive()]);
