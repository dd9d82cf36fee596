/**
 * The native cluster's child processes: each in a process group of its own (a stop or a kill reaches whatever it
 * started), its output appended to a log file in the state folder, stopped with SIGTERM then SIGKILL after a grace.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  /** Resolves when the process has exited (at once if it has). */
  exited(): Promise<void>;
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** SIGKILL the whole group, as a node dies. */
  kill(): Promise<void>;
  /** The last lines of its log (for error messages). */
  tail(lines?: number): string;
}

export interface SpawnOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
  /** Run as this user (root only): PostgreSQL refuses to run as root. */
  uid?: number;
  gid?: number;
}

export function spawnManaged(name: string, command: string, args: string[], options: SpawnOptions): ManagedProcess {
  const out = openSync(options.logFile, 'a');
  const child = spawn(command, args, {
    env: options.env,
    cwd: options.cwd,
    stdio: ['ignore', out, out],
    detached: true,
    uid: options.uid,
    gid: options.gid,
  });
  closeSync(out);
  const done = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      child.kill(signal);
    }
  };
  return {
    name,
    child,
    logFile: options.logFile,
    exited: () => done,
    async stop(signal = 'SIGTERM', graceMs = 15_000) {
      signalGroup(signal);
      const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
    },
    async kill() {
      signalGroup('SIGKILL');
      await done;
    },
    tail(lines = 20) {
      try {
        return readFileSync(options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
  };
}

/** Runs a command to its end (output to the log); rejects with the log's tail on a non-zero exit. */
export async function runToEnd(name: string, command: string, args: string[], options: SpawnOptions): Promise<void> {
  const process = spawnManaged(name, command, args, options);
  await process.exited();
  if (process.child.exitCode !== 0) {
    throw new Error(`${name} failed (exit ${process.child.exitCode ?? process.child.signalCode}):\n${process.tail()}`);
  }
}

/** Polls `check` until it resolves true; throws naming `what` (and the process's log tail) after `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  watched?: ManagedProcess,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (watched && (watched.child.exitCode !== null || watched.child.signalCode !== null)) {
      throw new Error(`${watched.name} exited while waiting for ${what}:\n${watched.tail()}`);
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > until)
      throw new Error(`${what}: not ready after ${timeoutMs / 1000} s${watched ? `:\n${watched.tail()}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
