/**
 * The docker-compose stack, run natively (`stockflow cluster`): PostgreSQL, the schema tool's one-shot setup, the
 * Temporal server, the Web UI server and N stockflow workers — each configured from its docker-compose.yml service
 * (image versions, environment, mounted files, the schema script), with container addresses turned into loopback ones
 * and every port shifted by `portOffset` (so a second cluster, or a dev server, can run beside it). Without an
 * OMNITRON_URL the compose `sandbox` profile's settings (deploy/sandbox.env, deploy/sandbox-channels.json) wire the
 * workers to a sandbox this cluster runs. State (database, logs) lives in `stateDir` and survives a restart.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { Connection } from '@temporalio/client';
import { sandboxDeployment } from '../sandbox/deployment';
import { projectRoot } from '../temporal/provision-cli';
import { provisionClusterPrograms, type ClusterPrograms } from './binaries';
import { type ComposeFile, mountedFile, readCompose, serviceEnvironment } from './compose';
import { startPostgres } from './postgres';
import { type ManagedProcess, runToEnd, spawnManaged, waitFor } from './processes';

/** The ports docker-compose.yml and the images' config templates use; a cluster shifts all of them by its offset. */
const BASE_PORTS = {
  postgres: 5432,
  frontend: 7233,
  frontendHttp: 7243,
  frontendMembership: 6933,
  history: 7234,
  historyMembership: 6934,
  matching: 7235,
  matchingMembership: 6935,
  worker: 7239,
  workerMembership: 6939,
  ui: 8080,
  sandbox: 8090,
} as const;
export type ClusterPorts = Record<keyof typeof BASE_PORTS, number>;

export interface ClusterOptions {
  stateDir: string;
  /** stockflow worker processes to start (more can be started later). */
  workers: number;
  portOffset?: number;
  /** The environment compose would interpolate from (passwords, TLS, OMNITRON_*); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** SKUs the sandbox is seeded with, when the cluster runs one. */
  sandboxSkus?: number;
  log?: (line: string) => void;
}

export interface Cluster {
  ports: ClusterPorts;
  /** The Temporal frontend, host:port. */
  address: string;
  uiUrl: string;
  /** Set when the cluster runs the sandbox (no OMNITRON_URL). */
  sandboxUrl?: string;
  programs: ClusterPrograms;
  readonly workers: ManagedProcess[];
  /** The environment a stockflow process of this cluster runs with (workers, CLI, clients). */
  stockflowEnv: NodeJS.ProcessEnv;
  startWorker(extraEnv?: NodeJS.ProcessEnv): Promise<ManagedProcess>;
  /** Stops the Temporal server process and starts it again on the same database. */
  restartServer(): Promise<void>;
  /** Stops everything it started, workers first; `removeData` then deletes the database and the state folder. */
  stop(options?: { removeData?: boolean }): Promise<void>;
}

/** PostgreSQL refuses root; as root its data lives under Debian's postgres home, keyed by the state folder. */
function postgresDataDir(stateDir: string): string {
  if (process.getuid?.() !== 0) return join(stateDir, 'postgres');
  const key = createHash('sha1').update(resolve(stateDir)).digest('hex').slice(0, 12);
  return `/var/lib/postgresql/stockflow-${key}`;
}

function shifted(offset: number): ClusterPorts {
  return Object.fromEntries(Object.entries(BASE_PORTS).map(([k, v]) => [k, v + offset])) as ClusterPorts;
}

export class PortInUseError extends Error {
  constructor(readonly port: number) {
    super(`port ${port} is in use: stop what holds it, or pass another port offset (--port-offset)`);
    this.name = 'PortInUseError';
  }
}

/** The first port of these that is taken, if any: a clear message beats a server failing to bind. */
async function takenPort(ports: number[]): Promise<number | undefined> {
  for (const port of ports) {
    const free = await new Promise<boolean>((done) => {
      const server = createServer()
        .once('error', () => done(false))
        .once('listening', () => server.close(() => done(true)));
      server.listen(port, '127.0.0.1');
    });
    if (!free) return port;
  }
  return undefined;
}

async function frontendServing(address: string, tls: boolean | undefined, env: NodeJS.ProcessEnv): Promise<boolean> {
  const connection = await Connection.connect({
    address,
    connectTimeout: 1_000,
    tls: tls ? clientTls(env) : undefined,
  });
  try {
    await connection.workflowService.getSystemInfo({});
    return true;
  } finally {
    await connection.close();
  }
}

/** The client side of mTLS from the variables the worker reads (TEMPORAL_TLS_*), for the cluster's own probes. */
function clientTls(env: NodeJS.ProcessEnv) {
  const read = (name: string) => (env[name] ? readFileSync(env[name] as string) : undefined);
  const cert = read('TEMPORAL_TLS_CLIENT_CERT_PATH');
  const key = read('TEMPORAL_TLS_CLIENT_KEY_PATH');
  return {
    serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME || undefined,
    serverRootCACertificate: read('TEMPORAL_TLS_SERVER_CA_CERT_PATH'),
    clientCertPair: cert && key ? { crt: cert, key } : undefined,
  };
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  const log = options.log ?? (() => {});
  const env = options.env ?? process.env;
  const compose: ComposeFile = readCompose();
  const stateDir = resolve(options.stateDir);
  const logs = join(stateDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const ports = shifted(options.portOffset ?? 0);
  const loopback = (port: number) => `127.0.0.1:${port}`;

  // Everything compose would refuse (a missing password) is refused here first, naming every variable.
  const pgEnv = serviceEnvironment(compose, 'postgresql', env);
  const schemaEnv = serviceEnvironment(compose, 'temporal-schema', env);
  const serverEnv = serviceEnvironment(compose, 'temporal', env);
  const uiEnv = serviceEnvironment(compose, 'temporal-ui', env);
  const workerEnv = serviceEnvironment(compose, 'worker', env);
  const tls = serverEnv.TEMPORAL_TLS_REQUIRE_CLIENT_AUTH === 'true';

  const taken = await takenPort(Object.values(ports));
  if (taken !== undefined) throw new PortInUseError(taken);
  const programs = await provisionClusterPrograms(compose, { log });
  const started: ManagedProcess[] = [];
  const stopAll = async () => {
    for (const process of [...started].reverse()) await process.stop('SIGTERM', 20_000);
    started.length = 0;
  };
  try {
    const postgres = await startPostgres({
      bin: programs.postgresBin,
      dataDir: postgresDataDir(stateDir),
      logFile: join(logs, 'postgresql.log'),
      port: ports.postgres,
      user: pgEnv.POSTGRES_USER ?? 'temporal',
      password: pgEnv.POSTGRES_PASSWORD ?? '',
    });
    started.push(postgres);
    log(`PostgreSQL ${loopback(ports.postgres)} (data ${postgresDataDir(stateDir)})`);

    await runToEnd(
      'temporal-schema',
      'sh',
      [mountedFile(compose, 'temporal-schema', '/etc/stockflow/temporal-schema.sh')],
      {
        env: {
          ...process.env,
          ...schemaEnv,
          SQL_HOST: '127.0.0.1',
          SQL_PORT: String(ports.postgres),
          PATH: `${dirname(programs.sqlTool)}:${process.env.PATH ?? ''}`,
        },
        logFile: join(logs, 'temporal-schema.log'),
      },
    );
    log('Temporal schema: up to date (temporal, temporal_visibility)');

    const temporalEnv = {
      ...process.env,
      ...serverEnv,
      POSTGRES_SEEDS: '127.0.0.1',
      DB_PORT: String(ports.postgres),
      VISIBILITY_DB_PORT: String(ports.postgres),
      BIND_ON_IP: '127.0.0.1',
      TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
      DYNAMIC_CONFIG_FILE_PATH: mountedFile(compose, 'temporal', serverEnv.DYNAMIC_CONFIG_FILE_PATH ?? ''),
      FRONTEND_GRPC_PORT: String(ports.frontend),
      FRONTEND_HTTP_PORT: String(ports.frontendHttp),
      FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
      HISTORY_GRPC_PORT: String(ports.history),
      HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
      MATCHING_GRPC_PORT: String(ports.matching),
      MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
      WORKER_GRPC_PORT: String(ports.worker),
      WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    };
    const address = loopback(ports.frontend);
    const startServer = async () => {
      // The image's own command: every service in one process, configured by its template (config/docker.yaml).
      const server = spawnManaged(
        'temporal-server',
        programs.temporalServer,
        ['--root', programs.serverSource, '--config', 'config', '--env', 'docker', 'start'],
        { env: temporalEnv, logFile: join(logs, 'temporal-server.log') },
      );
      await waitFor(`the Temporal frontend on ${address}`, () => frontendServing(address, tls, env), 120_000, server);
      return server;
    };
    let server = await startServer();
    started.push(server);
    log(`Temporal server ${address}${tls ? ' (mTLS)' : ''}`);

    // The UI image's template, with the bind address natively on loopback (compose publishes on loopback instead).
    const uiRoot = join(stateDir, 'ui');
    mkdirSync(join(uiRoot, 'config'), { recursive: true });
    const template = readFileSync(join(programs.uiSource, 'config', 'docker.yaml'), 'utf8');
    writeFileSync(join(uiRoot, 'config', 'docker.yaml'), `${template.trimEnd()}\nhost: 127.0.0.1\n`);
    const ui = spawnManaged(
      'temporal-ui',
      programs.uiServer,
      ['--root', uiRoot, '--config', 'config', '--env', 'docker', 'start'],
      {
        env: { ...process.env, ...uiEnv, TEMPORAL_ADDRESS: address, TEMPORAL_UI_PORT: String(ports.ui) },
        logFile: join(logs, 'temporal-ui.log'),
      },
    );
    started.push(ui);
    const uiUrl = `http://${loopback(ports.ui)}`;
    await waitFor(`the Web UI on ${uiUrl}`, async () => (await fetch(uiUrl)).ok, 60_000, ui);
    log(`Temporal Web UI ${uiUrl}`);

    const cli = join(projectRoot(), 'dist', 'src', 'cli', 'main.js');
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
    const stockflowEnv: NodeJS.ProcessEnv = { ...process.env, ...workerEnv, TEMPORAL_ADDRESS: address };
    let sandboxUrl: string | undefined;
    if (!workerEnv.OMNITRON_URL) {
      // The compose `sandbox` profile, natively: its service, its env file, its channels file (hosts on loopback).
      const sandbox = spawnManaged(
        'sandbox',
        process.execPath,
        [cli, 'sandbox', '--port', String(ports.sandbox), '--skus', String(options.sandboxSkus ?? 1000)],
        { env: process.env, logFile: join(logs, 'sandbox.log') },
      );
      started.push(sandbox);
      sandboxUrl = `http://${loopback(ports.sandbox)}`;
      await waitFor(
        `the sandbox on ${sandboxUrl}`,
        async () => (await fetch(`${sandboxUrl}/control/health`)).ok,
        60_000,
        sandbox,
      );
      const deployment = sandboxDeployment(sandboxUrl);
      const channelsFile = join(stateDir, 'sandbox-channels.json');
      writeFileSync(channelsFile, JSON.stringify({ channels: deployment.channels }, null, 2));
      Object.assign(stockflowEnv, deployment.env, { STOCKFLOW_CHANNELS_FILE: channelsFile });
      log(`Sandbox ${sandboxUrl}`);
    }

    const workers: ManagedProcess[] = [];
    let workerCount = 0;
    const startWorker = async (extraEnv: NodeJS.ProcessEnv = {}) => {
      const n = ++workerCount;
      const worker = spawnManaged(`worker-${n}`, process.execPath, [cli, 'worker'], {
        env: { ...stockflowEnv, STOCKFLOW_LOG_LEVEL: 'WARN', ...extraEnv },
        logFile: join(logs, `worker-${n}.log`),
      });
      started.push(worker);
      workers.push(worker);
      await waitFor(
        `worker-${n}`,
        async () => readFileSync(worker.logFile, 'utf8').includes('Worker ready'),
        60_000,
        worker,
      );
      return worker;
    };
    await Promise.all(Array.from({ length: options.workers }, () => startWorker()));
    log(`${options.workers} stockflow worker(s): logs in ${logs}`);

    return {
      ports,
      address,
      uiUrl,
      sandboxUrl,
      programs,
      workers,
      stockflowEnv,
      startWorker,
      async restartServer() {
        const index = started.indexOf(server);
        await server.stop('SIGTERM', 20_000);
        server = await startServer();
        started[index] = server;
      },
      async stop({ removeData = false } = {}) {
        await stopAll();
        if (removeData) {
          rmSync(postgresDataDir(stateDir), { recursive: true, force: true });
          rmSync(stateDir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** A cluster on the first port offset (10,000 + k × 1,000) whose ports are all free (tests, benchmarks). */
export async function startClusterOnFreePorts(options: Omit<ClusterOptions, 'portOffset'>): Promise<Cluster> {
  for (let k = 0; ; k++) {
    try {
      return await startCluster({ ...options, portOffset: 10_000 + k * 1_000 });
    } catch (err) {
      if (!(err instanceof PortInUseError) || k >= 20) throw err;
    }
  }
}
