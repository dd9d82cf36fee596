/**
 * The stack `npm run bench` and `npm run chaos` measure, every part in a process of its own as in production:
 *
 *   - a Temporal dev server (its own SQLite file, so it can be restarted mid-run and keep its workflows), or with
 *     `temporal: 'cluster'` the native cluster of src/cluster/ (Temporal server on PostgreSQL, configured from
 *     docker-compose.yml; its database is removed with the stack),
 *   - the sandbox (`stockflow sandbox`), seeded, steered through its /control endpoints,
 *   - stockflow workers (`stockflow worker`), configured only through the environment exactly like a deployment:
 *     OMNITRON_URL and a channels file pointing at the sandbox, secrets by variable name, schedules off (a benchmark
 *     starts its runs itself), the pre-built workflow bundle (`npm run bundle`).
 *
 * The bench process itself only starts runs, waits for them and reads results, so a worker's RSS is the worker's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { ChannelConfig } from '../src/channels/registry';
import { StockflowClient } from '../src/client';
import { DEFAULT_CREDENTIALS } from '../src/sandbox/catalog-state';
import { sandboxDeployment, type ChannelsFileEntry } from '../src/sandbox/deployment';
import { sandboxUrls, type Sandbox } from '../src/sandbox/server';
import { PREBUILT_BUNDLE } from '../src/temporal/bundle';
import { randomBytes } from 'node:crypto';
import { startClusterOnFreePorts, type Cluster } from '../src/cluster/cluster';
import { readCompose, serviceEnvironment } from '../src/cluster/compose';
import { freePort, startDevServer, type DevServer } from '../src/temporal/dev-server';
import { sandboxControl, type Control } from '../test/support/channel-checks';
import { CLI, waitForLine } from '../test/support/processes';

export interface StackOptions {
  /** Which Temporal: the dev server (default) or the native compose cluster. */
  temporal?: 'dev-server' | 'cluster';
  /** The seeded channels the workers sync (default: 1 Trendyol and 2 Shopify). */
  channels?: readonly number[];
  /** Per channel adapter limits written into the channels file. */
  limits?: Partial<Record<number, ChannelConfig['limits']>>;
  /** Trendyol's repeat window, set alike at the sandbox marketplace and in the channels file (production: 15 min). */
  repeatWindowMs?: number;
  /** Per channel request timeout written into the channels file (adapters' default: 30 s). */
  timeoutMs?: Partial<Record<number, number>>;
  /** Extra environment for every worker (e.g. STOCKFLOW_SHUTDOWN_GRACE). */
  workerEnv?: Record<string, string>;
}

export interface WorkerProcess {
  pid: number;
  child: ChildProcess;
  /** Peak resident set size so far (VmHWM), in bytes; undefined once the process is gone. */
  peakRssBytes(): number | undefined;
  /** SIGKILL: no drain, no shutdown hook, the way a node dies. */
  kill(): Promise<void>;
  /** SIGTERM: graceful shutdown. */
  stop(): Promise<void>;
}

export interface Stack {
  dir: string;
  temporal: { address: string; namespace: string };
  client: Client;
  stockflow: StockflowClient;
  taskQueue: string;
  sandbox: { urls: Sandbox['urls']; pid: number };
  control: Control;
  /** The environment every worker gets; a benchmark builds the same clients in-process from it (loadConfig). */
  workerEnv: NodeJS.ProcessEnv;
  /** Seeds the sandbox (resets everything) and sets the marketplace's repeat window. */
  seed(skus: number): Promise<void>;
  startWorker(): Promise<WorkerProcess>;
  /** Stops the dev server (SIGTERM) and starts it again on the same port and database file. */
  restartTemporal(): Promise<void>;
  close(): Promise<void>;
}

const TASK_QUEUE = 'stockflow-bench';
const DEFAULT_CHANNELS = [1, 2];

/** Stacks not closed yet: an interrupted bench (Ctrl-C, SIGTERM) closes them before it exits. */
const openStacks = new Set<Stack>();

/** Pids of this process's live children (a worker still starting when the signal came is not yet the stack's). */
function childPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
      } catch {
        return false; // exited while we looked
      }
    })
    .map(Number);
}

let interruptHandled = false;
/** On SIGINT/SIGTERM: close every open stack, SIGKILL whatever child is left, exit 130. Never leave processes behind. */
function closeStacksOnInterrupt(): void {
  if (interruptHandled) return;
  interruptHandled = true;
  const interrupted = () => {
    void Promise.allSettled([...openStacks].map((stack) => stack.close()))
      .finally(() => childPids().forEach((pid) => process.kill(pid, 'SIGKILL')))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A child this process started dies with it, whatever way it ends (the dev server module does the same). */
function killOnExit(child: ChildProcess): void {
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.removeListener('exit', kill));
}

function peakRss(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

interface TemporalOfStack {
  address: string;
  namespace: string;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The dev server on a SQLite file of the stack, or the native cluster (a fresh database, removed on stop). */
async function startTemporal(dir: string, options: StackOptions, urls: Sandbox['urls']): Promise<TemporalOfStack> {
  if (options.temporal === 'cluster') {
    const cluster: Cluster = await startClusterOnFreePorts({
      stateDir: join(dir, 'cluster'),
      workers: 0,
      env: {
        ...process.env,
        TEMPORAL_POSTGRES_PASSWORD: randomBytes(16).toString('hex'),
        // The stack runs its own sandbox and workers: the cluster runs neither.
        OMNITRON_URL: urls.omnitron,
      },
    });
    return {
      address: cluster.address,
      namespace: 'default',
      restart: () => cluster.restartServer(),
      stop: () => cluster.stop({ removeData: true }),
    };
  }
  const port = await freePort();
  const dbFilename = join(dir, 'temporal.db');
  const devServer = (): Promise<DevServer> =>
    startDevServer({ port, dbFilename, logFile: join(dir, 'temporal.log'), provision: { log: () => undefined } });
  let server = await devServer();
  return {
    address: server.address,
    namespace: server.namespace,
    async restart() {
      await server.stop();
      server = await devServer();
    },
    stop: () => server.stop(),
  };
}

/**
 * The channels file: the sandbox profile's own entries (deploy/sandbox-channels.json, secrets named by variable as in
 * production) of the channels the stack syncs, with the stack's overrides (limits, timeouts, Trendyol's window).
 */
function writeChannelsFile(dir: string, sandbox: ChannelsFileEntry[], options: StackOptions): string {
  const path = join(dir, 'channels.json');
  const wanted = options.channels ?? DEFAULT_CHANNELS;
  const channels = sandbox
    .filter((entry) => wanted.includes(entry.channelId))
    .map((entry) => ({
      ...entry,
      ...(entry.adapter === 'trendyol' && options.repeatWindowMs !== undefined
        ? { repeatWindowMs: options.repeatWindowMs }
        : {}),
      ...(options.limits?.[entry.channelId] ? { limits: options.limits[entry.channelId] } : {}),
      ...(options.timeoutMs?.[entry.channelId] ? { timeoutMs: options.timeoutMs[entry.channelId] } : {}),
    }));
  writeFileSync(path, JSON.stringify({ channels }, null, 2));
  return path;
}

async function startSandboxProcess(dir: string): Promise<{ child: ChildProcess; url: string; urls: Sandbox['urls'] }> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'sandbox', '--port', String(port), '--skus', '0'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  killOnExit(child);
  const [, url] = await waitForLine(child, /Sandbox listening on (\S+)/, 30_000);
  return { child, url: url!, urls: sandboxUrls(url!) };
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  closeStacksOnInterrupt();
  const dir = mkdtempSync(join(tmpdir(), 'stockflow-bench-'));
  const sandbox = await startSandboxProcess(dir);
  const server = await startTemporal(dir, options, sandbox.urls);
  const control = sandboxControl(sandbox);
  const deployment = sandboxDeployment(sandbox.url);
  const channelsFile = writeChannelsFile(dir, deployment.channels, options);
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  const workers: WorkerProcess[] = [];

  const workerEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    STOCKFLOW_TASK_QUEUE: TASK_QUEUE,
    STOCKFLOW_SCHEDULES: 'off',
    STOCKFLOW_LOG_LEVEL: 'WARN',
    STOCKFLOW_SHUTDOWN_GRACE: '2s',
    STOCKFLOW_WORKFLOW_BUNDLE: PREBUILT_BUNDLE,
    // The worker's heap ceiling, as the compose worker service sets it (docker-compose.yml).
    NODE_OPTIONS: serviceEnvironment(readCompose(), 'worker', process.env).NODE_OPTIONS,
    OMNITRON_URL: sandbox.urls.omnitron,
    OMNITRON_USERNAME: DEFAULT_CREDENTIALS.username,
    OMNITRON_PASSWORD: DEFAULT_CREDENTIALS.password,
    WHIPPY_URL: sandbox.urls.whippy,
    WHIPPY_API_TOKEN: DEFAULT_CREDENTIALS.whippyToken,
    // The profile's channel secrets (SANDBOX_*), then the stack's own settings over the rest of it.
    ...deployment.env,
    STOCKFLOW_CHANNELS_FILE: channelsFile,
    ...options.workerEnv,
  };

  async function startWorker(): Promise<WorkerProcess> {
    const child = spawn(process.execPath, [CLI, 'worker'], {
      cwd: dir,
      env: workerEnv,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    killOnExit(child);
    await waitForLine(child, /Worker ready/, 60_000);
    const pid = child.pid!;
    let lastPeak: number | undefined;
    const worker: WorkerProcess = {
      pid,
      child,
      peakRssBytes: () => (lastPeak = peakRss(pid) ?? lastPeak),
      async kill() {
        worker.peakRssBytes();
        child.kill('SIGKILL');
        await exited(child);
      },
      async stop() {
        worker.peakRssBytes();
        child.kill('SIGTERM');
        await exited(child);
      },
    };
    child.stdout?.resume();
    workers.push(worker);
    return worker;
  }

  let closing: Promise<void> | undefined;
  const stack: Stack = {
    dir,
    temporal: { address: server.address, namespace: server.namespace },
    client,
    stockflow: new StockflowClient(client, TASK_QUEUE),
    taskQueue: TASK_QUEUE,
    sandbox: { urls: sandbox.urls, pid: sandbox.child.pid! },
    control,
    workerEnv,
    async seed(skus) {
      await control('POST', 'seed', { skus });
      if (options.repeatWindowMs !== undefined) {
        await control('PUT', 'marketplace/options', { repeatWindowMs: options.repeatWindowMs });
      }
    },
    startWorker,
    restartTemporal: () => server.restart(),
    close() {
      closing ??= (async () => {
        await Promise.all(workers.map((w) => w.stop()));
        await connection.close();
        sandbox.child.kill('SIGTERM');
        await exited(sandbox.child);
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
        openStacks.delete(stack);
      })();
      return closing;
    },
  };
  openStacks.add(stack);
  return stack;
}
