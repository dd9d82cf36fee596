/**
 * Workflow inputs, validated inside the workflow (zod is pure JS): whoever starts a flow — client, CLI, schedule —
 * gets a non-retryable failure naming the bad field, and the run does nothing.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { z } from 'zod';
import { duration } from './durations';
import { issueLines } from './issues';

const channelId = z.number().int().positive();

/** Knobs an operator may turn; every one has a production default. */
export const tuningSchema = z
  .object({
    /** Async batches awaited at once per run (the sliding window). */
    window: z.number().int().min(1).max(50).default(4),
    /** Give up on an asynchronous channel batch after this long: the batch goes `fail` with a report. */
    maxBatchWait: duration.default('24 hours'),
    /** First and longest pause between two checks of a channel batch (backoff doubles in between). */
    pollInitial: duration.default('5 seconds'),
    pollMax: duration.default('5 minutes'),
    /** Longest pause between two attempts of a failing activity (backoff doubles from 1 s up to this). */
    retryMaxInterval: duration.default('1 minute'),
    /** Pages per run before continue-as-new (also continues when the server suggests it). */
    pagesPerRun: z.number().int().min(1).max(2_000).default(400),
    /**
     * Pages in a row that failed as a whole (or async batches in a row the channel never finished) before a stock list
     * is given up for this run; the next run tries again. Stops a run from feeding a channel that is down.
     */
    maxFailedPagesInARow: z.number().int().min(1).default(3),
    /**
     * A batch of the channel that someone else left in `commit` this long (untouched) is failed, its objects back to
     * Omnitron; until then the flow waits for it (Omnitron lets one batch per channel sit in `commit`) and says so.
     */
    staleCommitAfter: duration.default('30 minutes'),
    /** Reconcile: attempts of one channel read before its SKUs count `unknown` and the walk goes on. */
    readAttempts: z.number().int().min(1).max(40).default(5),
    /** Reconcile: chunks read side by side (the channel's request rate still holds them to its budget). */
    readsInFlight: z.number().int().min(1).max(20).default(4),
  })
  .strict();

export const sendFlowInputSchema = z
  .object({
    channelId,
    /** Omitted: the channel adapter's nature decides. Given: must match it. */
    isSync: z.boolean().optional(),
    isSuccessLog: z.boolean().default(true),
    addProductObjects: z.boolean().default(false),
    addPrice: z.boolean().default(false),
    /**
     * Fetch and resolve like a real run, commit and send nothing: pages through Omnitron's list without committing
     * and reports what would have been sent (workflows/dry-run.ts).
     */
    dryRun: z.boolean().default(false),
    tuning: tuningSchema.default(tuningSchema.parse({})),
  })
  .strict();

export const batchRequestsInputSchema = z
  .object({
    channelId,
    isSuccessLog: z.boolean().default(true),
    tuning: tuningSchema.default(tuningSchema.parse({})),
  })
  .strict();

export const reconcileInputSchema = z
  .object({
    channelId,
    /** Only this list (the main one or one WAREHOUSE_CODES maps); omitted: every list of the channel. */
    stockListId: z.number().int().positive().optional(),
    /** Send the expected quantity of each drifted SKU (through a batch request, as the flows do). */
    repair: z.boolean().default(false),
    /** Compare only: no drift report written, nothing repaired; the summary names the first SKUs found wrong. */
    dryRun: z.boolean().default(false),
    isSuccessLog: z.boolean().default(true),
    tuning: tuningSchema.default(tuningSchema.parse({})),
  })
  .strict();

export type Tuning = z.infer<typeof tuningSchema>;
export type ReconcileInput = z.input<typeof reconcileInputSchema>;
export type ReconcileOptions = z.infer<typeof reconcileInputSchema>;
export type SendFlowInput = z.input<typeof sendFlowInputSchema>;
export type SendFlowOptions = z.infer<typeof sendFlowInputSchema>;
export type BatchRequestsInput = z.input<typeof batchRequestsInputSchema>;

/** Parses a workflow input; a bad one is a non-retryable `InvalidInput` failure listing each field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const fields = issueLines(parsed.error, 'input');
  throw ApplicationFailure.create({
    type: 'InvalidInput',
    nonRetryable: true,
    message: `invalid input: ${fields.join('; ')}`,
    details: [fields],
  });
}
