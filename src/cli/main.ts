#!/usr/bin/env node
/**
 * `stockflow`: one binary with subcommands.
 *   start   the whole local stack: embedded Temporal dev server (unless TEMPORAL_ADDRESS is set) and a worker
 *   worker  a worker only, against the configured Temporal (scale out by running more of these)
 *   check   run the self-check workflow against the configured stack and print what answered
 */
import { Command } from 'commander';
import { startCommand } from './start';
import { checkCommand } from './check';

const program = new Command()
  .name('stockflow')
  .description('Durable stock sync from Akinon Omnitron to marketplaces, built on Temporal')
  .showHelpAfterError();

program
  .command('start')
  .description('start the local stack: Temporal dev server with Web UI (unless TEMPORAL_ADDRESS is set) and a worker')
  .action(() => startCommand({ embeddedServer: true }));

program
  .command('worker')
  .description('run a worker against the configured Temporal (TEMPORAL_ADDRESS); run more of these to scale out')
  .action(() => startCommand({ embeddedServer: false }));

program
  .command('check')
  .description('run the self-check workflow on the configured Temporal and print which worker answered')
  .option('--wait <duration>', 'durable timer before the worker is asked', '1s')
  .action((opts: { wait: string }) => checkCommand(opts));

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
