import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../config';
import { codecDataConverter } from '../temporal/codec';
import { temporalConnectionOptions } from '../temporal/connection';

/** An open connection to the configured Temporal, for one CLI command. */
export interface TemporalSession {
  config: Config;
  address: string;
  client: Client;
}

/**
 * The one place CLI commands find Temporal: TEMPORAL_ADDRESS (with TLS / API key), else the embedded dev server
 * `stockflow start` runs on 127.0.0.1:STOCKFLOW_DEV_SERVER_PORT. Closes the connection whatever `fn` does, so a command never keeps the process
 * alive. An unreachable server becomes one message naming the address (callers map it to exit code 1).
 */
export async function withTemporal<T>(fn: (session: TemporalSession) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const options = temporalConnectionOptions(config, `127.0.0.1:${config.devServer.port}`);
  const { address } = options;
  let connection: Connection;
  try {
    connection = await Connection.connect(options);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot reach Temporal at ${address} (is \`stockflow start\` running?): ${reason}`);
  }
  try {
    const client = new Client({
      connection,
      namespace: config.temporal.namespace,
      dataConverter: codecDataConverter(config.codecKeys),
    });
    return await fn({ config, address, client });
  } finally {
    await connection.close();
  }
}
