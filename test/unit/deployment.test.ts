/**
 * docker-compose.yml is a deployment users run; CI also runs `docker compose config` on it. Here: the worker service
 * is configured the way stockflow reads configuration, and the pieces the README promises are there.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';

const root = join(__dirname, '..', '..');

interface ComposeService {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  ports?: string[];
  profiles?: string[];
  command?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string; required?: boolean }> | string[];
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};

test('the stack has PostgreSQL, Temporal, the Web UI and a worker built from the repo', () => {
  const { services } = compose;
  expect(Object.keys(services).sort()).toEqual(['postgresql', 'sandbox', 'temporal', 'temporal-ui', 'worker']);
  expect(services.temporal?.image).toMatch(/^temporalio\/auto-setup:1\.29\./);
  expect(services.temporal?.environment?.POSTGRES_SEEDS).toBe('postgresql');
  expect(services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  expect(services.worker?.build).toBe('.');
  expect(services.worker?.depends_on).toEqual({
    temporal: { condition: 'service_healthy' },
    sandbox: { condition: 'service_healthy', required: false },
  });
});

test('the sandbox is an optional profile, run by the same image', () => {
  const sandbox = compose.services.sandbox;
  expect(sandbox?.profiles).toEqual(['sandbox']);
  expect(sandbox?.build).toBe('.');
  expect(sandbox?.command?.slice(0, 5)).toEqual(['sandbox', '--host', '0.0.0.0', '--port', '8090']);
});

test('the Temporal server gets one partition per task queue (exact channel rates) and eager activities', () => {
  const temporal = compose.services.temporal;
  const mount = temporal?.volumes?.find((v) => v.startsWith('./deploy/temporal-dynamic-config.yaml:'));
  expect(mount?.split(':')[1]).toBe(temporal?.environment?.DYNAMIC_CONFIG_FILE_PATH);
  const dynamicConfig = parse(readFileSync(join(root, 'deploy', 'temporal-dynamic-config.yaml'), 'utf8')) as Record<
    string,
    { value: unknown }[]
  >;
  expect(dynamicConfig['matching.numTaskqueueReadPartitions']).toEqual([{ value: 1 }]);
  expect(dynamicConfig['matching.numTaskqueueWritePartitions']).toEqual([{ value: 1 }]);
  expect(dynamicConfig['system.enableActivityEagerExecution']).toEqual([{ value: true }]);
});

test("with deploy/sandbox.env the worker's configuration syncs the sandbox service's two channels", () => {
  const sandboxEnv = Object.fromEntries(
    readFileSync(join(root, 'deploy', 'sandbox.env'), 'utf8')
      .split('\n')
      .filter((line) => /^\w+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
  const environment = Object.fromEntries(
    Object.entries(compose.services.worker?.environment ?? {}).map(([key, value]) => [
      key,
      value.replace(/\$\{(\w+):-([^}]*)\}/g, (_, name: string, fallback: string) => sandboxEnv[name] ?? fallback),
    ]),
  );
  // The container sees deploy/ at /etc/stockflow (the worker's volume).
  expect(compose.services.worker?.volumes).toContain('${STOCKFLOW_CONFIG_DIR:-./deploy}:/etc/stockflow:ro');
  environment.STOCKFLOW_CHANNELS_FILE = environment.STOCKFLOW_CHANNELS_FILE!.replace(
    '/etc/stockflow',
    join(root, 'deploy'),
  );
  const config = loadConfig(environment);
  expect(config.omnitron?.baseURL).toBe('http://sandbox:8090/omnitron/api/v1/');
  expect([...config.channels.keys()]).toEqual([1, 2]);
  expect(config.channels.get(1)?.adapter).toMatchObject({
    adapter: 'trendyol',
    baseURL: 'http://sandbox:8090/trendyol/',
  });
});

/** Compose's `${VAR:-default}` interpolation, as `docker compose up` does it with none of the variables set. */
const interpolated = (environment: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(environment).map(([key, value]) => [key, value.replace(/\$\{\w+:-([^}]*)\}/g, '$1')]),
  );

test("the worker's environment is a valid stockflow configuration pointing at the cluster", () => {
  const config = loadConfig(interpolated(compose.services.worker?.environment ?? {}));
  expect(config.temporal.address).toBe('temporal:7233');
  expect(config.temporal.taskQueue).toBe('stockflow');
});

test('the image runs the worker command', () => {
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/ENTRYPOINT \["node", "dist\/src\/cli\/main\.js"\]/);
  expect(dockerfile).toMatch(/CMD \["worker"\]/);
});
