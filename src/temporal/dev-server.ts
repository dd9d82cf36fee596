/**
 * The embedded Temporal dev server (CLI `server start-dev`) with stockflow's search attributes registered. Used by
 * `npm start` when no TEMPORAL_ADDRESS is configured, and by the jest global setup (one server per test run).
 *
 * We spawn the CLI ourselves rather than through the SDK's ephemeral-server helper because we need three things it does
 * not give: its own process group (a terminal's Ctrl-C must not kill the server before the worker has drained), a
 * graceful SIGTERM on stop, and a readiness wait longer than the SDK's 5 s on a loaded machine. Only when no binary
 * exists at all (the SDK-download fallback) do we go through the SDK.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { STOCKFLOW_SEARCH_ATTRIBUTES } from '../../workflows/definitions';
import { provisionTemporalCli, type ProvisionOptions } from './provision-cli';

export interface DevServerOptions {
  /** gRPC port; a free one when omitted. */
  port?: number;
  /** Web UI port; the UI is headless when omitted. */
  uiPort?: number;
  /** A codec server the Web UI decodes payloads with (the browser calls it). */
  uiCodecEndpoint?: string;
  /** SQLite file that keeps workflows across restarts; in-memory when omitted. */
  dbFilename?: string;
  /** Extra `temporal server start-dev` arguments, e.g. dynamic config for tests. */
  extraArgs?: string[];
  /** Where the server's own output goes (appended); discarded when omitted. */
  logFile?: string;
  /** How long to wait for the server to answer. Default 60 s. */
  readyTimeoutMs?: number;
  provision?: ProvisionOptions;
}

export interface DevServer {
  address: string;
  namespace: string;
  uiUrl?: string;
  /** Where the CLI came from (for start-up messages). */
  cliSource: string;
  /** The server's process id (undefined when the SDK runs it). */
  pid?: number;
  stop(): Promise<void>;
}

const NAMESPACE = 'default';

/**
 * One partition per task queue. The server splits a queue's activity rate limit (`maxTaskQueueActivitiesPerSecond`,
 * how stockflow holds each channel's request rate) evenly over the queue's partitions, each with a burst of its own,
 * so with the default four a channel limited to 1 request/s could see 4 at once. The same setting is in the
 * docker-compose cluster's dynamic config (deploy/temporal-dynamic-config.yaml).
 */
const EXACT_RATE_LIMITS = [
  '--dynamic-config-value',
  'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value',
  'matching.numTaskqueueWritePartitions=1',
];

/**
 * Eager activity execution (off by default on the server): an activity scheduled on the workflow's own task queue
 * (openBatch, commitPage) is handed straight back to the worker that completed the workflow task, skipping a round
 * trip through matching. Channel activities run on their own queues, where the rate limit applies, never eagerly.
 */
const EAGER_ACTIVITIES = ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'];

/** A free loopback port (bound then released: a tiny race, acceptable for a dev server). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function waitUntilServing(address: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Temporal dev server exited during start-up (${child.exitCode ?? child.signalCode})`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: NAMESPACE });
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      lastError = err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`Temporal dev server at ${address} not ready after ${timeoutMs} ms: ${String(lastError)}`);
}

function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const cli = await provisionTemporalCli(options.provision);
  const port = options.port ?? (await freePort());
  const address = `127.0.0.1:${port}`;
  const uiUrl = options.uiPort !== undefined ? `http://127.0.0.1:${options.uiPort}` : undefined;

  if (cli.executable.type !== 'existing-path') {
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: cli.executable,
        ip: '127.0.0.1',
        namespace: NAMESPACE,
        port,
        ui: options.uiPort !== undefined,
        uiPort: options.uiPort,
        dbFilename: options.dbFilename,
        searchAttributes: STOCKFLOW_SEARCH_ATTRIBUTES,
        extraArgs: [...EXACT_RATE_LIMITS, ...EAGER_ACTIVITIES, ...(options.extraArgs ?? [])],
      },
    });
    return { address: env.address, namespace: NAMESPACE, uiUrl, cliSource: cli.source, stop: () => env.teardown() };
  }

  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--namespace', NAMESPACE];
  args.push('--log-format', 'json', '--log-level', 'warn');
  args.push(...(options.uiPort !== undefined ? ['--ui-port', String(options.uiPort)] : ['--headless']));
  if (options.uiCodecEndpoint) args.push('--ui-codec-endpoint', options.uiCodecEndpoint);
  if (options.dbFilename) {
    mkdirSync(dirname(options.dbFilename), { recursive: true });
    args.push('--db-filename', options.dbFilename);
  }
  for (const key of STOCKFLOW_SEARCH_ATTRIBUTES) args.push('--search-attribute', `${key.name}=${key.type}`);
  args.push(...EXACT_RATE_LIMITS, ...EAGER_ACTIVITIES, ...(options.extraArgs ?? []));

  const output = options.logFile ? openSync(options.logFile, 'a') : 'ignore';
  const child = spawn(cli.executable.path, args, { stdio: ['ignore', output, output], detached: true });
  // Last resort if this process dies without stop(): never leave a server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  try {
    await waitUntilServing(address, child, options.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await stopChild(child, 1_000);
    throw err;
  }
  return {
    address,
    namespace: NAMESPACE,
    uiUrl,
    cliSource: cli.source,
    pid: child.pid,
    stop: async () => {
      process.removeListener('exit', killOnExit);
      await stopChild(child);
    },
  };
}
