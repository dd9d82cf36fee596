/**
 * Starting and killing stockflow worker processes (test/support/worker-process.ts, built to dist/) from a test, the
 * way nodes start and die in production: each in a process group of its own, so one SIGKILL reaches everything it
 * started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ChannelConfig } from '../../src/channels/registry';
import type { Sandbox } from '../../src/sandbox/server';
import {
  WORKER_LIMITS,
  WORKER_NAMESPACE,
  WORKER_READY_LINE,
  WORKER_REPEAT_WINDOW_MS,
  WORKER_SANDBOX_URLS,
  WORKER_SHUTDOWN_GRACE,
  WORKER_TASK_QUEUE,
} from './worker-process';

const WORKER_SCRIPT = join(__dirname, '..', '..', 'dist', 'test', 'support', 'worker-process.js');

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
}

export interface WorkerProcessOptions {
  sandbox: Sandbox;
  namespace: string;
  taskQueue: string;
  limits?: ChannelConfig['limits'];
  /** The sandbox Trendyol's repeat window, when the test shortened it. */
  repeatWindowMs?: number;
}

/** Spawns a worker process; resolves once it is ready to take work. */
export async function spawnWorker(options: WorkerProcessOptions): Promise<WorkerProcess> {
  if (!existsSync(WORKER_SCRIPT)) {
    throw new Error(`${WORKER_SCRIPT} does not exist: run \`npm run build\` first (npm test does)`);
  }
  const child = spawn(process.execPath, [WORKER_SCRIPT], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      [WORKER_NAMESPACE]: options.namespace,
      [WORKER_TASK_QUEUE]: options.taskQueue,
      [WORKER_SANDBOX_URLS]: JSON.stringify(options.sandbox.urls),
      ...(options.limits ? { [WORKER_LIMITS]: JSON.stringify(options.limits) } : {}),
      [WORKER_SHUTDOWN_GRACE]: '1s',
      ...(options.repeatWindowMs === undefined ? {} : { [WORKER_REPEAT_WINDOW_MS]: String(options.repeatWindowMs) }),
    },
  });
  let seen = '';
  child.stdout?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (seen += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready within 30 s; output:\n${seen}`)), 30_000);
    const onData = () => {
      if (WORKER_READY_LINE.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it was ready; output:\n${seen}`));
    });
  });
  return { child, output: () => seen };
}

/** SIGKILLs the worker's whole process group and waits until the process is gone. */
export async function killWorker(worker: WorkerProcess | undefined): Promise<void> {
  const child = worker?.child;
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL'); // the group is gone already; make sure of the leader
  }
  await exited;
}
