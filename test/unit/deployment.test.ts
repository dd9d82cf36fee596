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
  depends_on?: Record<string, { condition: string }> | string[];
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>;
};

test('the stack has PostgreSQL, Temporal, the Web UI and a worker built from the repo', () => {
  const { services } = compose;
  expect(Object.keys(services).sort()).toEqual(['postgresql', 'temporal', 'temporal-ui', 'worker']);
  expect(services.temporal?.image).toMatch(/^temporalio\/auto-setup:1\.29\./);
  expect(services.temporal?.environment?.POSTGRES_SEEDS).toBe('postgresql');
  expect(services['temporal-ui']?.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
  expect(services.worker?.build).toBe('.');
  expect(services.worker?.depends_on).toEqual({ temporal: { condition: 'service_healthy' } });
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
