import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { ConfigError, loadConfig } from '../../src/config';
import { durationMs, durationText } from '../../workflows/durations';
import { tuningSchema } from '../../workflows/inputs';

describe('loadConfig', () => {
  test('defaults describe the embedded stack', () => {
    const config = loadConfig({});
    expect(config.temporal).toMatchObject({ address: undefined, namespace: 'default', taskQueue: 'stockflow' });
    expect(config.temporal.connection).toMatchObject({ tls: undefined, apiKey: undefined });
    expect(config.devServer).toEqual({ port: 7233, uiPort: 8233, stateDir: '.stockflow' });
  });

  test('overrides are read and coerced', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', STOCKFLOW_DEV_UI_PORT: '9000' });
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.devServer.uiPort).toBe(9000);
  });

  test('every invalid key is named in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        TEMPORAL_ADDRESS: 'no-port',
        STOCKFLOW_DEV_SERVER_PORT: '70000',
        STOCKFLOW_SHUTDOWN_GRACE: 'soon',
        STOCKFLOW_SCHEDULES: 'sometimes',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = (error as ConfigError).problems.map((p) => p.key).sort();
    expect(keys).toEqual([
      'STOCKFLOW_DEV_SERVER_PORT',
      'STOCKFLOW_SCHEDULES',
      'STOCKFLOW_SHUTDOWN_GRACE',
      'TEMPORAL_ADDRESS',
    ]);
    expect((error as ConfigError).message).toContain('TEMPORAL_ADDRESS: expected host:port');
  });
});

describe('Temporal connection (the Temporal CLI/SDK conventions, via @temporalio/envconfig)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stockflow-temporal-'));

  test('an API key (or its _FILE) turns TLS on; gRPC metadata comes from TEMPORAL_GRPC_META_*', () => {
    const keyFile = join(dir, 'api-key');
    writeFileSync(keyFile, 'cloud-key-123\n');
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'acme.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'acme.a1b2c',
      TEMPORAL_API_KEY_FILE: keyFile,
      TEMPORAL_GRPC_META_X_TEAM: 'stock',
    });
    expect(config.temporal).toMatchObject({ address: 'acme.a1b2c.tmprl.cloud:7233', namespace: 'acme.a1b2c' });
    expect(config.temporal.connection).toMatchObject({ apiKey: 'cloud-key-123', tls: true });
    expect(config.temporal.connection.metadata).toEqual({ 'x-team': 'stock' });
  });

  test('a profile of TEMPORAL_CONFIG_FILE gives address, namespace and mTLS files', () => {
    const cert = join(dir, 'client.pem');
    writeFileSync(cert, 'CERT');
    const toml = join(dir, 'temporal.toml');
    writeFileSync(
      toml,
      `[profile.prod]\naddress = "temporal.internal:7233"\nnamespace = "stock"\n` +
        `[profile.prod.tls]\nclient_cert_path = "${cert}"\nclient_key_path = "${cert}"\nserver_name = "temporal"\n`,
    );
    const config = loadConfig({ TEMPORAL_CONFIG_FILE: toml, TEMPORAL_PROFILE: 'prod' });
    expect(config.temporal).toMatchObject({ address: 'temporal.internal:7233', namespace: 'stock' });
    expect(config.temporal.connection.tls).toMatchObject({ serverNameOverride: 'temporal' });
  });

  test('unreadable TLS or API-key files stop start-up, each named', () => {
    let error: ConfigError | undefined;
    try {
      loadConfig({
        TEMPORAL_ADDRESS: 'temporal:7233',
        TEMPORAL_API_KEY_FILE: join(dir, 'missing-key'),
        TEMPORAL_TLS_CLIENT_CERT_PATH: join(dir, 'missing.pem'),
      });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems.map((p) => p.key).sort()).toEqual(['TEMPORAL_API_KEY_FILE', 'TEMPORAL_TLS']);
    expect(error?.message).toContain('missing.pem');
  });
});

describe('Omnitron and channels', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stockflow-config-'));
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    return path;
  };
  const trendyol = {
    channelId: 1,
    adapter: 'trendyol',
    baseURL: 'https://apigw.example.com/',
    sellerId: '123456',
    apiKeyEnv: 'TY_KEY',
    apiSecretEnv: 'TY_SECRET',
    integratorName: 'SelfIntegration',
  };
  const base = { OMNITRON_URL: 'https://omnitron.example.com/api/v1/', OMNITRON_USERNAME: 'sync' };

  test('secrets come from the named variables or their _FILE, and never appear in errors', () => {
    const channels = file('ok.json', {
      channels: [{ ...trendyol, safetyBuffer: 2, schedule: { updateProductStocks: '2m' } }],
    });
    const config = loadConfig({
      ...base,
      OMNITRON_PASSWORD_FILE: file('password', 's3cret-pw\n'),
      STOCKFLOW_CHANNELS_FILE: channels,
      TY_KEY: 'key-1',
      TY_SECRET: 'secret-1',
    });
    expect(config.omnitron).toEqual({ baseURL: base.OMNITRON_URL, username: 'sync', password: 's3cret-pw' });
    expect(config.channels.get(1)).toMatchObject({
      adapter: { adapter: 'trendyol', apiKey: 'key-1', apiSecret: 'secret-1' },
      safetyBuffer: 2,
      schedule: { updateProductStocks: '2m' },
    });
  });

  test('every bad key is named: missing secrets, bad fields, duplicates, a missing password', () => {
    const channels = file('bad.json', {
      channels: [
        { ...trendyol, sellerId: 'abc' },
        { ...trendyol, apiKeyEnv: 'NOPE' },
        { channelId: 2, adapter: 'shopify', baseURL: 'https://shop.example.com/', apiVersion: '2026-02' },
        { ...trendyol, channelId: 3, safetyBuffer: -1, schedule: { updateProductStocks: 'often', nope: '5m' } },
      ],
    });
    let error: ConfigError | undefined;
    try {
      loadConfig({ ...base, STOCKFLOW_CHANNELS_FILE: channels, TY_KEY: 'key-1', TY_SECRET: 'secret-1' });
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems.map((p) => p.key)).toEqual([
      'OMNITRON_PASSWORD',
      'channels[0].sellerId',
      'channels[1].channelId',
      'channels[1].apiKeyEnv',
      'channels[2].accessToken',
      'channels[2].apiVersion',
      'channels[3].schedule.updateProductStocks',
      'channels[3].schedule',
      'channels[3].safetyBuffer',
    ]);
    expect(error?.message).toContain('NOPE is not set');
    expect(error?.message).not.toContain('secret-1');
  });

  test('the stock API: WHIPPY_URL needs WHIPPY_API_TOKEN (or its _FILE), named and never echoed', () => {
    const url = 'https://stock.example.com/api/v1/';
    expect(loadConfig({ WHIPPY_URL: url, WHIPPY_API_TOKEN_FILE: file('whippy', 'tok-1\n') }).whippy).toEqual({
      baseURL: url,
      apiToken: 'tok-1',
    });
    expect(loadConfig({}).whippy).toBeUndefined();
    const problems = (env: NodeJS.ProcessEnv) => {
      try {
        loadConfig(env);
      } catch (err) {
        return (err as ConfigError).problems.map((p) => p.key);
      }
      return [];
    };
    expect(problems({ WHIPPY_URL: url })).toEqual(['WHIPPY_API_TOKEN']);
    expect(problems({ WHIPPY_URL: 'ftp://x', WHIPPY_API_TOKEN: 'tok-2' })).toEqual(['WHIPPY_URL']);
  });

  test('an unreadable channels file and OMNITRON_URL without a user are named', () => {
    expect(() =>
      loadConfig({
        OMNITRON_URL: base.OMNITRON_URL,
        OMNITRON_PASSWORD: 'x',
        STOCKFLOW_CHANNELS_FILE: join(dir, 'none.json'),
      }),
    ).toThrow(/OMNITRON_USERNAME: required with OMNITRON_URL[\s\S]*STOCKFLOW_CHANNELS_FILE: .*none\.json/);
  });
});

describe("one duration grammar (the SDK's) for flow inputs, the channels file and the environment", () => {
  test.each(['30s', '5 minutes', '1 hour', '2h', '1500ms', '1d'])('%s is read alike everywhere', (text) => {
    expect(durationText.safeParse(text).success).toBe(true);
    expect(tuningSchema.safeParse({ pollMax: text }).success).toBe(true);
    expect(loadConfig({ STOCKFLOW_SHUTDOWN_GRACE: text }).worker.shutdownGraceTime).toBe(text);
    expect(durationMs(text)).toBe(msToNumber(text as Duration));
  });

  test.each(['soon', '-5s', '0s', '5 fortnights'])('%j is refused, naming the grammar', (text) => {
    const parsed = tuningSchema.safeParse({ pollMax: text });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['pollMax']);
    expect(() => loadConfig({ STOCKFLOW_SHUTDOWN_GRACE: text })).toThrow(
      /STOCKFLOW_SHUTDOWN_GRACE: expected a duration/,
    );
  });
});
