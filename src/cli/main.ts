#!/usr/bin/env node
/**
 * `stockflow`: one binary with subcommands.
 *   start   the whole local stack: embedded Temporal dev server (unless TEMPORAL_ADDRESS is set) and a worker
 *   worker  a worker only, against the configured Temporal (scale out by running more of these)
 *   sandbox the local stand-in for Omnitron, Whippy Ware and the marketplaces
 *   cluster the docker-compose stack run natively: PostgreSQL, Temporal server, Web UI server, N workers
 *   check   run the self-check workflow against the configured stack and print what answered
 *   schedule list, trigger, pause or unpause the flows' Temporal Schedules
 *   sync, status   run one stock flow of a channel and report on it (src/cli/flows.ts)
 *   pause, resume, cancel   steer a running flow (src/cli/steer.ts)
 *   reconcile compare a channel with the stock API, optionally repair drift (src/cli/reconcile.ts)
 *   codec-server   decode/encode encrypted payloads for the Web UI and the Temporal CLI (src/cli/codec.ts)
 */
import { Command } from 'commander';
import { startCommand } from './start';
import { checkCommand } from './check';
import { sandboxCommand } from './sandbox';
import { clusterCommand } from './cluster';
import { registerFlowCommands } from './flows';
import { registerSteeringCommands } from './steer';
import { codecServerCommand } from './codec';
import { scheduleCommand } from './schedules';
import { reconcileCommand } from './reconcile';

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
  .command('sandbox')
  .description('run the local sandbox (Omnitron + Whippy Ware + marketplace) on loopback until Ctrl-C')
  .option('--port <port>', 'port to listen on', '8090')
  .option('--host <host>', 'address to bind (keep it on loopback)', '127.0.0.1')
  .option('--skus <n>', 'seed a demo catalogue of this many SKUs (0: start empty, seed via POST /control/seed)', '1000')
  .action((opts: { port: string; host: string; skus: string }) => sandboxCommand(opts));

program
  .command('cluster')
  .description(
    'run the docker-compose stack natively: PostgreSQL, Temporal server, Web UI, N workers (and the sandbox)',
  )
  .option('--workers <n>', 'stockflow worker processes', '2')
  .option('--port-offset <n>', 'shift every port of the stack (7233, 8080, 5432, ...) by n', '0')
  .option('--state-dir <dir>', 'database and logs (default $STOCKFLOW_STATE_DIR/cluster)')
  .option('--skus <n>', "the sandbox's demo catalogue, when no OMNITRON_URL is set", '1000')
  .action((opts: { workers: string; portOffset: string; stateDir?: string; skus: string }) => clusterCommand(opts));

program
  .command('check')
  .description('run the self-check workflow on the configured Temporal and print which worker answered')
  .option('--wait <duration>', 'durable timer before the worker is asked', '1s')
  .action((opts: { wait: string }) => checkCommand(opts));

program.addCommand(scheduleCommand());

registerFlowCommands(program);
registerSteeringCommands(program);
codecServerCommand(program);
reconcileCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exitCode = 1;
});
