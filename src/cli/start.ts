import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../config';
import { installObservability } from '../observability';
import { SANDBOX_CHANNEL_IDS, sandboxStockDeps } from '../sandbox/connect';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { keepSandboxState, loadSandboxState } from '../sandbox/snapshot';
import { temporalConnectionOptions } from '../temporal/connection';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { prebuiltBundle } from '../temporal/bundle';
import { codecDataConverter } from '../temporal/codec';
import { startCodecServer, type CodecServer } from '../temporal/codec-server';
import { ensureStockSchedules } from '../temporal/schedules';
import { awaitSearchAttributes, ensureNamespace, ensureSearchAttributes } from '../temporal/search-attributes';
import { configuredStockDeps, createStockflowWorker } from '../worker';
import { recordSandboxUrl } from './sandbox-address';

/**
 * Runs a worker until SIGINT/SIGTERM; with `embeddedServer` and no TEMPORAL_ADDRESS it first starts the dev server
 * (state kept in STOCKFLOW_STATE_DIR) and stops it after the worker has drained. The SDK runtime turns the signals into
 * a graceful worker shutdown (in-flight activities get STOCKFLOW_SHUTDOWN_GRACE to finish).
 *
 * The stock flows talk to the configured Omnitron (OMNITRON_URL, STOCKFLOW_CHANNELS_FILE); with none configured,
 * `stockflow start` runs the sandbox, seeded with a demo catalogue, and wires the flows to it, so the stack works with
 * nothing configured. A `stockflow worker` without an Omnitron runs the self-check only.
 */
export async function startCommand(opts: { embeddedServer: boolean }): Promise<void> {
  const config = loadConfig();
  installObservability({ metricsAddress: config.observability.metricsAddress, level: config.observability.logLevel });
  let server: DevServer | undefined;
  let codecServer: CodecServer | undefined;
  let address = config.temporal.address;
  if (!address) {
    if (!opts.embeddedServer) throw new Error('TEMPORAL_ADDRESS: required for `stockflow worker` (host:port)');
    const stateDir = resolve(config.devServer.stateDir);
    if (config.codecKeys) {
      codecServer = await startCodecServer({
        keys: config.codecKeys,
        port: config.codecServerPort,
        origins: [`http://127.0.0.1:${config.devServer.uiPort}`, `http://localhost:${config.devServer.uiPort}`],
      });
      console.log(`Codec server: ${codecServer.url} (payloads are encrypted; the Web UI decodes through it)`);
    }
    server = await startDevServer({
      port: config.devServer.port,
      uiPort: config.devServer.uiPort,
      uiCodecEndpoint: codecServer?.url,
      dbFilename: join(stateDir, 'temporal.db'),
      logFile: join(stateDir, 'temporal.log'),
      provision: { log: (line) => console.log(line) },
    });
    address = server.address;
    console.log(`Temporal dev server: ${address} (pid ${server.pid ?? '?'}, CLI from ${server.cliSource})`);
    console.log(`Temporal Web UI: ${server.uiUrl}`);
  }
  const connectionOptions = temporalConnectionOptions(config, address);
  if (!server) {
    const admin = await Connection.connect(connectionOptions);
    try {
      if (await ensureNamespace(admin, config.temporal.namespace)) {
        console.log(`Registered namespace ${config.temporal.namespace}`);
      }
      const added = await ensureSearchAttributes(admin, config.temporal.namespace);
      await awaitSearchAttributes(admin, config.temporal.namespace);
      if (added.length > 0) console.log(`Registered search attributes: ${added.join(', ')}`);
    } finally {
      await admin.close();
    }
  }
  let sandbox: Sandbox | undefined;
  let forgetSandbox = () => {};
  let keepSandbox = () => {};
  if (opts.embeddedServer && !config.omnitron) {
    sandbox = await startSandbox({ port: config.sandbox.port });
    forgetSandbox = recordSandboxUrl(config, sandbox.url);
    // The sandbox keeps its state across restarts, as the dev server keeps its workflows: a run in flight finishes.
    const stateFile = join(resolve(config.devServer.stateDir), 'sandbox-state.bin');
    const restored = loadSandboxState(sandbox.state, stateFile);
    const seeded = restored
      ? sandbox.state.catalog.describe()
      : sandbox.state.catalog.seed({ skus: config.sandbox.skus });
    const channels = seeded.channels.map((c) => `${c.pk} (${c.name})`).join(', ');
    const how = restored ? `restored from ${stateFile}` : 'seeded';
    console.log(`Sandbox: ${sandbox.url} — ${seeded.skus} SKUs, channels ${channels} (${how})`);
    keepSandbox = keepSandboxState(sandbox.state, stateFile);
  }
  const connection = await NativeConnection.connect(connectionOptions);
  try {
    const worker = await createStockflowWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      shutdownGraceTime: config.worker.shutdownGraceTime,
      workflowBundle: prebuiltBundle(),
      dataConverter: codecDataConverter(config.codecKeys),
      stock: configuredStockDeps(config) ?? (sandbox ? sandboxStockDeps(sandbox.urls) : undefined),
    });
    if (config.omnitron)
      console.log(`Omnitron: ${config.omnitron.baseURL}, channels ${[...config.channels.keys()].join(', ')}`);
    else if (!sandbox) console.log('No OMNITRON_URL: the stock flows are not wired (self-check only).');
    // The channels this process syncs get their schedules, created or updated in place (never duplicated).
    const channelIds = config.omnitron ? [...config.channels.keys()] : sandbox ? SANDBOX_CHANNEL_IDS : [];
    if (channelIds.length > 0 && config.worker.schedules === 'ensure') {
      const client = new Client({
        connection: await Connection.connect(connectionOptions),
        namespace: config.temporal.namespace,
        dataConverter: codecDataConverter(config.codecKeys),
      });
      try {
        const ensured = await ensureStockSchedules(client, {
          taskQueue: config.temporal.taskQueue,
          channels: channelIds.map((channelId) => ({ channelId, intervals: config.channels.get(channelId)?.schedule })),
        });
        console.log(`Schedules: ${ensured.created.length} created, ${ensured.updated.length} updated`);
      } finally {
        await client.connection.close();
      }
    }
    console.log(
      `Worker ready: namespace ${config.temporal.namespace}, task queue ${config.temporal.taskQueue}. Ctrl-C stops.`,
    );
    await worker.run();
    console.log('Worker stopped.');
  } finally {
    await connection.close();
    keepSandbox();
    if (sandbox) await sandbox.close();
    forgetSandbox();
    if (server) {
      await server.stop();
      console.log('Temporal dev server stopped.');
    }
    await codecServer?.close();
  }
}
