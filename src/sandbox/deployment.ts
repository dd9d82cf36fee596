/**
 * The compose `sandbox` profile's configuration (deploy/sandbox-channels.json and deploy/sandbox.env), pointed at a
 * sandbox served elsewhere than the compose host `sandbox:8090`: the native cluster and the benchmark stack run the
 * very files a deployment runs, so every seeded channel is configured (secrets by variable) in one place.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../temporal/provision-cli';

const COMPOSE_SANDBOX = 'http://sandbox:8090';

/** One entry of a channels file, as written (secrets named by `<field>Env`). */
export type ChannelsFileEntry = { channelId: number } & Record<string, unknown>;

/** KEY=VALUE lines of an env file (comments and blanks skipped). */
export function readEnvFile(path: string): Record<string, string> {
  return Object.fromEntries(
    readFileSync(path, 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#') && line.includes('='))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/** The sandbox profile's channels and environment with every compose sandbox URL replaced by `sandboxUrl`. */
export function sandboxDeployment(sandboxUrl: string): { channels: ChannelsFileEntry[]; env: Record<string, string> } {
  const at = (text: string) => text.replaceAll(COMPOSE_SANDBOX, sandboxUrl);
  const deploy = join(projectRoot(), 'deploy');
  const { channels } = JSON.parse(at(readFileSync(join(deploy, 'sandbox-channels.json'), 'utf8'))) as {
    channels: ChannelsFileEntry[];
  };
  const env = Object.fromEntries(
    Object.entries(readEnvFile(join(deploy, 'sandbox.env'))).map(([key, value]) => [key, at(value)]),
  );
  return { channels, env };
}
