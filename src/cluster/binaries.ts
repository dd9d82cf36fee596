/**
 * The programs of the native cluster, at the versions docker-compose.yml names for its images (one place):
 *   temporal-server    go.temporal.io/server@v<temporalio/server tag>          ./cmd/server
 *   temporal-sql-tool  go.temporal.io/server@v<temporalio/admin-tools tag>     ./cmd/tools/sql
 *   ui-server          github.com/temporalio/ui-server/v2@v<temporalio/ui tag> ./cmd/server
 *   PostgreSQL         Debian's postgresql-<postgres major> (/usr/lib/postgresql/<major>/bin), apt-get installed
 *                      when missing and running as root
 * Go programs are built from the Go module proxy into the git-ignored cache `.cache/cluster/<name>/<version>/`; Go's own
 * build cache makes a rebuild (a fresh clone) take seconds once it is warm. Each failure names what was tried.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../temporal/provision-cli';
import { type ComposeFile, imageTag } from './compose';

const run = promisify(execFile);

export interface GoProgram {
  name: string;
  module: string;
  version: string;
  /** Package path inside the module. */
  pkg: string;
}

export interface ClusterPrograms {
  temporalServer: string;
  sqlTool: string;
  uiServer: string;
  /** Directory of the module source of the server (its config templates: `config/docker.yaml`). */
  serverSource: string;
  uiSource: string;
  /** Directory with initdb, pg_ctl, postgres. */
  postgresBin: string;
}

export class ClusterProvisionError extends Error {
  constructor(what: string, attempts: string[]) {
    super(`${what} could not be provided. Tried:\n${attempts.map((a) => `  - ${a}`).join('\n')}`);
    this.name = 'ClusterProvisionError';
  }
}

/** What docker-compose.yml pins, as Go programs. */
export function goPrograms(compose: ComposeFile): Record<'server' | 'sqlTool' | 'ui', GoProgram> {
  return {
    server: {
      name: 'temporal-server',
      module: 'go.temporal.io/server',
      version: imageTag(compose, 'temporal'),
      pkg: './cmd/server',
    },
    sqlTool: {
      name: 'temporal-sql-tool',
      module: 'go.temporal.io/server',
      version: imageTag(compose, 'temporal-schema'),
      pkg: './cmd/tools/sql',
    },
    ui: {
      name: 'ui-server',
      module: 'github.com/temporalio/ui-server/v2',
      version: imageTag(compose, 'temporal-ui'),
      pkg: './cmd/server',
    },
  };
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The module's source directory in Go's module cache (downloaded from the proxy when missing). */
async function moduleSource(program: GoProgram): Promise<string> {
  const { stdout } = await run('go', ['mod', 'download', '-json', `${program.module}@v${program.version}`], {
    maxBuffer: 16 * 1024 * 1024,
  });
  const dir = (JSON.parse(stdout) as { Dir?: string; Error?: string }).Dir;
  if (!dir) throw new Error(`go mod download gave no directory for ${program.module}@v${program.version}`);
  return dir;
}

/** Builds (once) a Go program into the cache; answers its path and its module source. */
async function goProgram(
  program: GoProgram,
  cacheDir: string,
  log: (line: string) => void,
): Promise<{ path: string; source: string }> {
  const path = join(cacheDir, program.name, program.version, program.name);
  const attempts: string[] = [];
  try {
    const source = await moduleSource(program);
    if (executable(path)) return { path, source };
    log(`Building ${program.name} ${program.version} from ${program.module} (Go module proxy) ...`);
    mkdirSync(join(cacheDir, program.name, program.version), { recursive: true });
    const started = Date.now();
    await run('go', ['build', '-o', path, program.pkg], {
      cwd: source,
      env: { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' },
      maxBuffer: 64 * 1024 * 1024,
    });
    log(`Built ${program.name} in ${Math.round((Date.now() - started) / 1000)} s: ${path}`);
    return { path, source };
  } catch (err) {
    const detail = err instanceof Error ? (err as Error & { stderr?: string }).stderr || err.message : String(err);
    attempts.push(`${path} (cache): ${executable(path) ? 'present' : 'absent'}`);
    attempts.push(
      `go build ${program.module}@v${program.version} ${program.pkg}: ${detail.trim().split('\n').slice(-3).join(' | ')}`,
    );
    throw new ClusterProvisionError(`${program.name} ${program.version}`, attempts);
  }
}

/** Debian's PostgreSQL of the major version compose names; installed with apt-get when missing (as root). */
async function postgresBin(compose: ComposeFile, log: (line: string) => void): Promise<string> {
  const major = imageTag(compose, 'postgresql').split('.')[0] ?? '';
  const bin = `/usr/lib/postgresql/${major}/bin`;
  const attempts = [`${bin}/postgres`];
  if (executable(join(bin, 'postgres'))) return bin;
  if (process.getuid?.() === 0) {
    try {
      log(`Installing Debian's postgresql-${major} ...`);
      await run('apt-get', ['install', '-y', '-qq', `postgresql-${major}`], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        maxBuffer: 64 * 1024 * 1024,
      });
      if (executable(join(bin, 'postgres'))) return bin;
      attempts.push(`apt-get install postgresql-${major}: installed, but ${bin}/postgres is missing`);
    } catch (err) {
      attempts.push(
        `apt-get install postgresql-${major}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`,
      );
    }
  } else {
    attempts.push(`apt-get install postgresql-${major}: not root; install it yourself`);
  }
  throw new ClusterProvisionError(`PostgreSQL ${major}`, attempts);
}

export async function provisionClusterPrograms(
  compose: ComposeFile,
  options: { cacheDir?: string; log?: (line: string) => void } = {},
): Promise<ClusterPrograms> {
  const log = options.log ?? (() => {});
  const cacheDir = options.cacheDir ?? join(projectRoot(), '.cache', 'cluster');
  const programs = goPrograms(compose);
  // One Go build at a time: they share the build cache and a 2-core machine gains nothing from more.
  const server = await goProgram(programs.server, cacheDir, log);
  const sqlTool = await goProgram(programs.sqlTool, cacheDir, log);
  const ui = await goProgram(programs.ui, cacheDir, log);
  return {
    temporalServer: server.path,
    sqlTool: sqlTool.path,
    uiServer: ui.path,
    serverSource: server.source,
    uiSource: ui.source,
    postgresBin: await postgresBin(compose, log),
  };
}
