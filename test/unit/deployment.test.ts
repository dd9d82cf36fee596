/**
 * docker-compose.yml is a deployment users run; CI also runs `docker compose config` on it. Here: the worker service
 * is configured the way stockflow reads configuration, and the pieces the README promises are there.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';
import { goPrograms } from '../../src/cluster/binaries';
import { imageTag, mountedFile, readCompose, serviceEnvironment } from '../../src/cluster/compose';

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

test('the stack: PostgreSQL, a one-shot schema step, the Temporal server, the Web UI and a worker from the repo', () => {
  const { services } = compose;
  expect(Object.keys(services).sort()).toEqual([
    'postgresql',
    'sandbox',
    'temporal',
    'temporal-schema',
    'temporal-ui',
    'worker',
  ]);
  // The production server image, not the development auto-setup one; the schema tool runs before it, once.
  expect(services.temporal?.image).toMatch(/^temporalio\/server:1\.29\./);
  expect(services['temporal-schema']?.image).toMatch(/^temporalio\/admin-tools:1\.29\./);
  expect(services.temporal?.depends_on).toEqual({
    'temporal-schema': { condition: 'service_completed_successfully' },
  });
  expect(services.temporal?.environment?.POSTGRES_SEEDS).toBe('postgresql');
  expect(services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  expect(services.worker?.build).toBe('.');
  expect(services.worker?.depends_on).toEqual({
    temporal: { condition: 'service_healthy' },
    sandbox: { condition: 'service_healthy', required: false },
  });
});

test('nothing is published beyond loopback, and no password has a default', () => {
  const published = Object.values(compose.services).flatMap((s) => s.ports ?? []);
  expect(published.length).toBeGreaterThan(0);
  for (const port of published) expect(port).toMatch(/^127\.0\.0\.1:/);
  const passwords = Object.values(compose.services).flatMap((s) =>
    Object.entries(s.environment ?? {}).filter(
      ([key]) => /PASSWORD|PWD/.test(key) && !/^SANDBOX_|^OMNITRON_/.test(key),
    ),
  );
  expect(passwords.map(([key]) => key).sort()).toEqual(['POSTGRES_PASSWORD', 'POSTGRES_PWD', 'SQL_PASSWORD']);
  for (const [, value] of passwords) expect(value).toMatch(/^\$\{TEMPORAL_POSTGRES_PASSWORD:\?/);
  // Start-up without it stops, naming it (what `docker compose up` and `stockflow cluster` both do).
  const file = readCompose();
  expect(() => serviceEnvironment(file, 'temporal', {})).toThrow(/TEMPORAL_POSTGRES_PASSWORD/);
  expect(serviceEnvironment(file, 'temporal', { TEMPORAL_POSTGRES_PASSWORD: 's3cret' }).POSTGRES_PWD).toBe('s3cret');
});

test('the native cluster is configured from this file: the same versions, environment and mounted files', () => {
  const file = readCompose();
  const programs = goPrograms(file);
  expect(programs.server).toMatchObject({ module: 'go.temporal.io/server', version: imageTag(file, 'temporal') });
  expect(programs.sqlTool.version).toBe(imageTag(file, 'temporal-schema'));
  expect(programs.ui).toMatchObject({
    module: 'github.com/temporalio/ui-server/v2',
    version: imageTag(file, 'temporal-ui'),
  });
  // The schema step runs the same script in both, and the server reads the same dynamic config.
  expect(mountedFile(file, 'temporal-schema', '/etc/stockflow/temporal-schema.sh')).toBe(
    join(root, 'deploy', 'temporal-schema.sh'),
  );
  const env = serviceEnvironment(file, 'temporal', { TEMPORAL_POSTGRES_PASSWORD: 'x' });
  expect(mountedFile(file, 'temporal', env.DYNAMIC_CONFIG_FILE_PATH ?? '')).toBe(
    join(root, 'deploy', 'temporal-dynamic-config.yaml'),
  );
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

test("with deploy/sandbox.env the worker's configuration syncs the sandbox service's six channels", () => {
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
  expect([...config.channels.keys()]).toEqual([1, 2, 3, 4, 5, 6]);
  expect([...config.channels.values()].map((c) => c.adapter.adapter)).toEqual([
    'trendyol',
    'shopify',
    'hepsiburada',
    'n11',
    'amazon',
    'ebay',
  ]);
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
