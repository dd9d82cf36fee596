import { ConfigError, loadConfig } from '../../src/config';

describe('loadConfig', () => {
  test('defaults describe the embedded stack', () => {
    const config = loadConfig({});
    expect(config.temporal).toEqual({ address: undefined, namespace: 'default', taskQueue: 'stockflow' });
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
      loadConfig({ TEMPORAL_ADDRESS: 'no-port', STOCKFLOW_DEV_SERVER_PORT: '70000', STOCKFLOW_SHUTDOWN_GRACE: 'soon' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = (error as ConfigError).problems.map((p) => p.key).sort();
    expect(keys).toEqual(['STOCKFLOW_DEV_SERVER_PORT', 'STOCKFLOW_SHUTDOWN_GRACE', 'TEMPORAL_ADDRESS']);
    expect((error as ConfigError).message).toContain('TEMPORAL_ADDRESS: expected host:port');
  });
});
