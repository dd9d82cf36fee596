/**
 * One zod schema for every setting stockflow reads from its environment. `loadConfig` returns a typed Config or throws
 * one ConfigError that lists every bad key, so a misconfigured deployment fails at start-up with the whole picture.
 */
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { z } from 'zod';
import { durationText } from '../../workflows/durations';
import { loadChannels, type ChannelSettings } from './channels';
import { ConfigError } from './errors';
import { parseCodecKeys, type CodecKey } from '../temporal/codec';
import { secretFromEnv } from './secrets';
import { issueEntries } from '../../workflows/issues';

export { ConfigError };

const port = z.coerce.number().int().min(1).max(65_535);

const envSchema = z.object({
  /** A Temporal frontend to use instead of the embedded dev server (host:port). */
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'expected host:port')
    .optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).optional(),
  STOCKFLOW_TASK_QUEUE: z.string().min(1).default('stockflow'),
  /** gRPC port of the embedded dev server (only used when TEMPORAL_ADDRESS is not set). */
  STOCKFLOW_DEV_SERVER_PORT: port.default(7233),
  /** Web UI port of the embedded dev server. */
  STOCKFLOW_DEV_UI_PORT: port.default(8233),
  /** Local state of `npm start` (the dev server's database); git-ignored. */
  STOCKFLOW_STATE_DIR: z.string().min(1).default('.stockflow'),
  /** Port of the embedded sandbox `stockflow start` runs when no real Omnitron is configured (0 = any free port). */
  STOCKFLOW_SANDBOX_PORT: z.coerce.number().int().min(0).max(65_535).default(8090),
  /** The codec server `stockflow start` runs for the Web UI when STOCKFLOW_CODEC_KEYS is set (0: any free port). */
  STOCKFLOW_CODEC_PORT: z.coerce.number().int().min(0).max(65_535).default(8234),
  /** SKUs of the sandbox's demo catalogue. */
  STOCKFLOW_SANDBOX_SKUS: z.coerce.number().int().min(1).max(5_000_000).default(1000),
  /** Omnitron's API base, e.g. https://omnitron.example.com/api/v1/ — set it to leave the sandbox for the real one. */
  OMNITRON_URL: z.url({ protocol: /^https?$/ }).optional(),
  OMNITRON_USERNAME: z.string().min(1).optional(),
  /** The Whippy Ware stock API's base, e.g. https://stock.example.com/api/v1/ — reconciliation reads it. */
  WHIPPY_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** JSON file mapping Omnitron channels to marketplace adapters (see src/config/channels.ts). */
  STOCKFLOW_CHANNELS_FILE: z.string().min(1).optional(),
  /** host:port where the SDK serves Prometheus metrics (stockflow counters included); unset = no endpoint. */
  STOCKFLOW_METRICS_ADDRESS: z
    .string()
    .regex(/^[^\s:]*:\d+$/, 'expected host:port, e.g. 0.0.0.0:9464')
    .optional(),
  /** `ensure`: a starting worker creates or updates its channels' schedules; `off`: it leaves schedules alone. */
  STOCKFLOW_SCHEDULES: z.enum(['ensure', 'off']).default('ensure'),
  STOCKFLOW_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** How long a stopping worker lets in-flight activities finish before cancelling them. */
  STOCKFLOW_SHUTDOWN_GRACE: durationText.default('30s'),
});

/**
 * How to reach a Temporal frontend beyond its address: TLS (mTLS certificates, server CA, SNI), an API key (Temporal
 * Cloud) and gRPC metadata, as the Temporal CLI and SDKs read them (TEMPORAL_TLS*, TEMPORAL_API_KEY,
 * TEMPORAL_GRPC_META_*, or a TEMPORAL_PROFILE of the TEMPORAL_CONFIG_FILE TOML). Holds secrets: never log it.
 */
export type TemporalConnectionSettings = Pick<
  ReturnType<typeof loadClientConnectConfig>['connectionOptions'],
  'tls' | 'apiKey' | 'metadata'
>;

export interface Config {
  temporal: { address?: string; namespace: string; taskQueue: string; connection: TemporalConnectionSettings };
  devServer: { port: number; uiPort: number; stateDir: string };
  sandbox: { port: number; skus: number };
  worker: { shutdownGraceTime: string; schedules: 'ensure' | 'off' };
  observability: { metricsAddress?: string; logLevel: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' };
  /** A real Omnitron; absent: `stockflow start` uses its sandbox. */
  omnitron?: { baseURL: string; username: string; password: string };
  /** The stock API (WHIPPY_URL, WHIPPY_API_TOKEN); absent: reconciliation fails, naming WHIPPY_URL. */
  whippy?: { baseURL: string; apiToken: string };
  /** Marketplace adapters by Omnitron channel id (from STOCKFLOW_CHANNELS_FILE). */
  channels: Map<number, ChannelSettings>;
  /** Payload encryption keys (STOCKFLOW_CODEC_KEYS), the first the current one; absent: payloads in the clear. */
  codecKeys?: CodecKey[];
  codecServerPort: number;
}

/** Reads every setting from `env`; throws {@link ConfigError} naming each invalid key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty variables count as unset, as shells and compose files often export KEY= for "no value".
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(present);
  const problems = parsed.success
    ? []
    : issueEntries(parsed.error).map(({ path, message }) => ({ key: path, message }));
  const e = parsed.success ? parsed.data : undefined;

  const temporal = temporalConnection(env, problems);

  let omnitron: Config['omnitron'];
  if (env.OMNITRON_URL || env.OMNITRON_USERNAME) {
    const password = secretFromEnv('OMNITRON_PASSWORD', env);
    if (!env.OMNITRON_URL) problems.push({ key: 'OMNITRON_URL', message: 'required with OMNITRON_USERNAME' });
    if (!env.OMNITRON_USERNAME) problems.push({ key: 'OMNITRON_USERNAME', message: 'required with OMNITRON_URL' });
    if ('error' in password) problems.push({ key: 'OMNITRON_PASSWORD', message: password.error });
    else if (e?.OMNITRON_URL && e.OMNITRON_USERNAME) {
      omnitron = { baseURL: e.OMNITRON_URL, username: e.OMNITRON_USERNAME, password: password.value };
    }
  }
  let whippy: Config['whippy'];
  if (env.WHIPPY_URL) {
    const token = secretFromEnv('WHIPPY_API_TOKEN', env);
    if ('error' in token) problems.push({ key: 'WHIPPY_API_TOKEN', message: token.error });
    else if (e?.WHIPPY_URL) whippy = { baseURL: e.WHIPPY_URL, apiToken: token.value };
  }
  let codecKeys: CodecKey[] | undefined;
  if (env.STOCKFLOW_CODEC_KEYS || env.STOCKFLOW_CODEC_KEYS_FILE) {
    const secret = secretFromEnv('STOCKFLOW_CODEC_KEYS', env);
    const parsedKeys = 'error' in secret ? { problem: secret.error } : parseCodecKeys(secret.value);
    if ('problem' in parsedKeys) problems.push({ key: 'STOCKFLOW_CODEC_KEYS', message: parsedKeys.problem });
    else codecKeys = parsedKeys.keys;
  }
  let channels = new Map<number, ChannelSettings>();
  if (env.STOCKFLOW_CHANNELS_FILE) {
    const loaded = loadChannels(env.STOCKFLOW_CHANNELS_FILE, env);
    channels = loaded.channels;
    problems.push(...loaded.problems);
  }
  if (omnitron && channels.size === 0 && !problems.some((p) => p.key.startsWith('STOCKFLOW_CHANNELS_FILE'))) {
    problems.push({ key: 'STOCKFLOW_CHANNELS_FILE', message: 'required with OMNITRON_URL: which channels to sync' });
  }
  if (problems.length > 0 || !e) throw new ConfigError(problems);
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS ?? temporal.address,
      namespace: e.TEMPORAL_NAMESPACE ?? temporal.namespace ?? 'default',
      taskQueue: e.STOCKFLOW_TASK_QUEUE,
      connection: temporal.connection,
    },
    devServer: { port: e.STOCKFLOW_DEV_SERVER_PORT, uiPort: e.STOCKFLOW_DEV_UI_PORT, stateDir: e.STOCKFLOW_STATE_DIR },
    sandbox: { port: e.STOCKFLOW_SANDBOX_PORT, skus: e.STOCKFLOW_SANDBOX_SKUS },
    worker: { shutdownGraceTime: e.STOCKFLOW_SHUTDOWN_GRACE, schedules: e.STOCKFLOW_SCHEDULES },
    observability: { metricsAddress: e.STOCKFLOW_METRICS_ADDRESS, logLevel: e.STOCKFLOW_LOG_LEVEL },
    omnitron,
    whippy,
    channels,
    codecKeys,
    codecServerPort: e.STOCKFLOW_CODEC_PORT,
  };
}

/**
 * The Temporal CLI/SDK environment conventions through @temporalio/envconfig: an address or namespace a profile gives
 * when the variables do not, plus TLS, API key and metadata. `TEMPORAL_API_KEY_FILE` is read like every other secret.
 */
function temporalConnection(
  env: NodeJS.ProcessEnv,
  problems: { key: string; message: string }[],
): { address?: string; namespace?: string; connection: TemporalConnectionSettings } {
  const overrides = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
  if (env.TEMPORAL_API_KEY_FILE) {
    const apiKey = secretFromEnv('TEMPORAL_API_KEY', env);
    if ('error' in apiKey) problems.push({ key: 'TEMPORAL_API_KEY_FILE', message: apiKey.error });
    else overrides.TEMPORAL_API_KEY = apiKey.value;
  }
  try {
    const { connectionOptions, namespace } = loadClientConnectConfig({ overrideEnvVars: overrides });
    const { address, tls, apiKey, metadata } = connectionOptions;
    return { address, namespace, connection: { tls, apiKey, metadata } };
  } catch (err) {
    // A missing certificate file or a broken TOML profile: name the setting family, not a secret.
    const key = env.TEMPORAL_CONFIG_FILE || env.TEMPORAL_PROFILE ? 'TEMPORAL_CONFIG_FILE' : 'TEMPORAL_TLS';
    problems.push({ key, message: (err as Error).message });
    return { connection: {} };
  }
}
