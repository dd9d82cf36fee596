/**
 * `stockflow codec-server [--port 8234] [--host 127.0.0.1] [--origin <url>…]`: the codec server on its own, for a
 * Web UI or Temporal CLI of a cluster (`temporal … --codec-endpoint http://127.0.0.1:8234`). Keys from
 * STOCKFLOW_CODEC_KEYS (or its _FILE); without them it refuses to start, naming the variable.
 */
import type { Command } from 'commander';
import { loadConfig } from '../config';
import { startCodecServer } from '../temporal/codec-server';

export function codecServerCommand(program: Command): void {
  program
    .command('codec-server')
    .description('serve /encode and /decode for the Web UI and the Temporal CLI (payload encryption, see README)')
    .option('--port <port>', 'port to listen on (default STOCKFLOW_CODEC_PORT, 8234)')
    .option('--host <host>', 'address to bind; it decrypts for whoever reaches it', '127.0.0.1')
    .option('--origin <url...>', 'browser origins allowed to call it (the Web UI); default any')
    .action(async (opts: { port?: string; host: string; origin?: string[] }) => {
      const config = loadConfig();
      if (!config.codecKeys)
        throw new Error('STOCKFLOW_CODEC_KEYS: required by codec-server (or STOCKFLOW_CODEC_KEYS_FILE)');
      const server = await startCodecServer({
        keys: config.codecKeys,
        port: opts.port === undefined ? config.codecServerPort : Number(opts.port),
        host: opts.host,
        origins: opts.origin,
      });
      console.log(`Codec server: ${server.url} (keys ${config.codecKeys.map((k) => k.id).join(', ')}). Ctrl-C stops.`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
    });
}
