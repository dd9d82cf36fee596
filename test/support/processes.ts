/** Helpers for tests that run stockflow as child processes (the built CLI in dist/). */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pidtree from 'pidtree';
import { projectRoot } from '../../src/temporal/provision-cli';

/** The built CLI (whether this file runs from source under jest or compiled in dist/); `npm test` builds it first. */
export const CLI = join(projectRoot(), 'dist', 'src', 'cli', 'main.js');

/** A process and its descendants as they are now (npm, its shell, the CLI, the dev server it started). */
export function processTree(root: number): Promise<number[]> {
  return pidtree(root, { root: true });
}

/** Those of `pids` still alive (signal 0 probes without touching them). */
export function stillRunning(pids: readonly number[]): number[] {
  return pids.filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
}

/** Ends what a test left running (after a failure): SIGKILL to each process still alive. */
export function killAll(pids: readonly number[]): void {
  for (const pid of stillRunning(pids)) process.kill(pid, 'SIGKILL');
}

/** Resolves with the first match of `pattern` in the child's stdout; rejects on timeout or exit. */
export function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${seen}`)),
      timeoutMs,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = seen.match(pattern);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.once('exit', (code) => reject(new Error(`exited (${code}) before ${pattern}; output:\n${seen}`)));
  });
}

/**
 * The environment of a `stockflow start` child that owns its state directory and ports: the dev server and Web UI on
 * the given ports, a sandbox of `skus` SKUs on a free port, a short shutdown grace, and no TEMPORAL_ADDRESS (so the
 * embedded server is used and the CLI finds it from STOCKFLOW_DEV_SERVER_PORT).
 */
export function embeddedStackEnv(stack: {
  stateDir: string;
  port: number;
  uiPort: number;
  skus: number;
  extra?: NodeJS.ProcessEnv;
}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    STOCKFLOW_STATE_DIR: stack.stateDir,
    STOCKFLOW_DEV_SERVER_PORT: String(stack.port),
    STOCKFLOW_DEV_UI_PORT: String(stack.uiPort),
    STOCKFLOW_SHUTDOWN_GRACE: '2s',
    STOCKFLOW_SANDBOX_PORT: '0',
    STOCKFLOW_SANDBOX_SKUS: String(stack.skus),
    ...stack.extra,
  };
  delete env.TEMPORAL_ADDRESS;
  return env;
}
