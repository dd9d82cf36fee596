/**
 * `stockflow schedule …`: operators see and steer the flows' Temporal Schedules without the Temporal CLI.
 *   list     every stockflow schedule (optionally of one channel / flow): interval, state, next run, runs going
 *   trigger  run the matching flows now (needs --channel, so nobody triggers every channel by accident)
 *   pause    stop future scheduled runs (runs already going are not touched), with a note saying why
 *   unpause  resume them at the next tick
 *   ensure   create or update the schedules of the given channels (default intervals)
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { Client } from '@temporalio/client';
import { STOCK_FLOWS, type StockFlowName } from '../../workflows/definitions';
import {
  ensureStockSchedules,
  listStockSchedules,
  pauseStockSchedule,
  stockScheduleId,
  triggerStockSchedule,
  unpauseStockSchedule,
  type StockScheduleInfo,
} from '../temporal/schedules';
import { withTemporal } from './connect';

interface FilterOptions {
  channel?: number;
  flow?: StockFlowName;
  json?: boolean;
}

function channelId(value: string): number {
  const id = Number(value);
  if (!Number.isInteger(id) || id <= 0) throw new InvalidArgumentError('expected a positive channel id');
  return id;
}

function channelIds(value: string): number[] {
  return value.split(',').map((v) => channelId(v.trim()));
}

const filterOptions = (command: Command): Command =>
  command
    .option('--channel <id>', 'only this channel', channelId)
    .addOption(new Option('--flow <flow>', 'only this flow').choices(STOCK_FLOWS))
    .option('--json', 'machine-readable JSON output');

/**
 * The schedules a command acts on. With both --channel and --flow the id is known, so no (eventually consistent)
 * listing is involved and a schedule created a moment ago is found.
 */
async function targets(client: Client, opts: FilterOptions): Promise<{ channelId: number; flow: StockFlowName }[]> {
  if (opts.channel !== undefined && opts.flow !== undefined) return [{ channelId: opts.channel, flow: opts.flow }];
  const found = await listStockSchedules(client, { channelId: opts.channel, flow: opts.flow });
  if (!found.length) throw new Error(`no stockflow schedule matches${describeFilter(opts)}`);
  return found;
}

function describeFilter(opts: FilterOptions): string {
  const parts = [opts.channel !== undefined && `channel ${opts.channel}`, opts.flow && `flow ${opts.flow}`];
  const text = parts.filter(Boolean).join(', ');
  return text ? ` (${text})` : '';
}

function formatEvery(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${ms / 1000}s`;
}

/** A fixed-width table; the note is last because it is free text. */
function printTable(schedules: StockScheduleInfo[]): void {
  const rows = [
    ['SCHEDULE', 'EVERY', 'STATE', 'NEXT RUN', 'RUNNING', 'NOTE'],
    ...schedules.map((s) => [
      s.scheduleId,
      formatEvery(s.everyMs),
      s.paused ? 'paused' : 'active',
      s.paused ? '-' : (s.nextActionTimes[0]?.toISOString() ?? '-'),
      s.runningWorkflowIds.join(' ') || '-',
      s.note ?? '',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const row of rows)
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
}

async function actOn(
  opts: FilterOptions,
  verb: string,
  act: (client: Client, channelId: number, flow: StockFlowName) => Promise<void>,
): Promise<void> {
  await withTemporal(async ({ client }) => {
    const done: string[] = [];
    for (const { channelId: id, flow } of await targets(client, opts)) {
      await act(client, id, flow);
      done.push(stockScheduleId(id, flow));
    }
    if (opts.json) console.log(JSON.stringify({ [verb]: done }));
    else for (const id of done) console.log(`${verb} ${id}`);
  });
}

/** The `schedule` command tree, registered by main.ts. */
export function scheduleCommand(): Command {
  const schedule = new Command('schedule').description(
    "the flows' Temporal Schedules: stock/<channelId>/<flow>/schedule, one per channel and flow",
  );

  filterOptions(schedule.command('list').description('list the stock schedules with interval, state and next run'))
    .addHelpText('after', '\nThe listing is eventually consistent: a schedule created a moment ago may be missing.')
    .action(async (opts: FilterOptions) => {
      await withTemporal(async ({ client }) => {
        const schedules = await listStockSchedules(client, { channelId: opts.channel, flow: opts.flow });
        if (opts.json) console.log(JSON.stringify(schedules, null, 2));
        else if (!schedules.length) console.log(`no stockflow schedules${describeFilter(opts)}`);
        else printTable(schedules);
      });
    });

  filterOptions(
    schedule
      .command('trigger')
      .description('run the matching flows now, through their schedules (skipped while a scheduled run is going)'),
  ).action(async (opts: FilterOptions) => {
    if (opts.channel === undefined) throw new Error('trigger needs --channel (and optionally --flow)');
    await actOn(opts, 'triggered', triggerStockSchedule);
  });

  filterOptions(
    schedule.command('pause').description('stop future scheduled runs of the matching flows (running ones go on)'),
  )
    .option('--note <text>', 'why, shown in list and in the Web UI', 'paused via stockflow')
    .action(async (opts: FilterOptions & { note: string }) => {
      await actOn(opts, 'paused', (client, id, flow) => pauseStockSchedule(client, id, flow, opts.note));
    });

  filterOptions(schedule.command('unpause').description('resume the matching schedules at their next tick'))
    .option('--note <text>', 'shown in list and in the Web UI', 'unpaused via stockflow')
    .action(async (opts: FilterOptions & { note: string }) => {
      await actOn(opts, 'unpaused', (client, id, flow) => unpauseStockSchedule(client, id, flow, opts.note));
    });

  schedule
    .command('ensure')
    .description('create or update the schedules of these channels (default intervals); paused state is kept')
    .requiredOption('--channel <ids>', 'comma-separated channel ids, e.g. 1,2', channelIds)
    .option('--paused', 'create missing schedules paused')
    .option('--json', 'print JSON')
    .action(async (opts: { channel: number[]; paused?: boolean; json?: boolean }) => {
      await withTemporal(async ({ client, config }) => {
        const result = await ensureStockSchedules(client, {
          taskQueue: config.temporal.taskQueue,
          channels: opts.channel.map((id) => ({ channelId: id })),
          paused: opts.paused,
        });
        if (opts.json) console.log(JSON.stringify(result));
        else {
          for (const id of result.created) console.log(`created ${id}`);
          for (const id of result.updated) console.log(`updated ${id}`);
        }
      });
    });

  return schedule;
}
