/**
 * docker-compose.yml read as the configuration of the native cluster: the images' versions and the services'
 * environment come from it, interpolated the way Compose interpolates them (`${VAR}`, `${VAR:-default}`,
 * `${VAR:?message}`), so the native cluster and the compose stack are configured from one place and cannot drift.
 * A variable required by `:?` and not set stops start-up with Compose's own message, naming it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from '../config/errors';
import { projectRoot } from '../temporal/provision-cli';

export interface ComposeService {
  image?: string;
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
  ports?: string[];
  entrypoint?: string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
}

export function composePath(): string {
  return join(projectRoot(), 'docker-compose.yml');
}

export function readCompose(path = composePath()): ComposeFile {
  return parse(readFileSync(path, 'utf8')) as ComposeFile;
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$\$/g;

/**
 * A value with Compose's interpolation applied from `env`; every missing `:?`/`?` variable is collected in `missing`
 * (name and message) instead of thrown, so all of them are reported at once.
 */
export function interpolate(
  value: string,
  env: NodeJS.ProcessEnv,
  missing: { key: string; message: string }[],
): string {
  return value.replace(VARIABLE, (match, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (match === '$$') return '$';
    const raw = env[name ?? ''];
    const unsetOrEmpty = raw === undefined || raw === '';
    switch (op) {
      case ':-':
        return unsetOrEmpty ? (arg ?? '') : raw;
      case '-':
        return raw === undefined ? (arg ?? '') : raw;
      case ':?':
      case '?':
        if (op === ':?' ? unsetOrEmpty : raw === undefined) {
          missing.push({ key: name ?? '', message: arg || 'required variable is missing a value' });
          return '';
        }
        return raw ?? '';
      default:
        return raw ?? '';
    }
  });
}

/** A service's environment as the container would see it; throws one ConfigError naming every missing variable. */
export function serviceEnvironment(
  compose: ComposeFile,
  service: string,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const missing: { key: string; message: string }[] = [];
  const environment = Object.fromEntries(
    Object.entries(compose.services[service]?.environment ?? {}).map(([key, value]) => [
      key,
      interpolate(value === null ? '' : String(value), env, missing),
    ]),
  );
  if (missing.length > 0) throw new ConfigError(dedupe(missing));
  return environment;
}

/** The tag of a service's image (`temporalio/server:1.29.1` -> `1.29.1`). */
export function imageTag(compose: ComposeFile, service: string): string {
  const image = compose.services[service]?.image;
  const tag = image?.split(':')[1];
  if (!tag) throw new Error(`docker-compose.yml: service ${service} has no image with a tag (${image ?? 'none'})`);
  return tag;
}

/** The host file a service mounts at `containerPath` (`./deploy/x.yaml:/etc/x.yaml:ro`), relative to the project. */
export function mountedFile(compose: ComposeFile, service: string, containerPath: string): string {
  for (const volume of compose.services[service]?.volumes ?? []) {
    const [host, container] = volume.split(':');
    if (container === containerPath && host?.startsWith('./')) return join(projectRoot(), host);
  }
  throw new Error(`docker-compose.yml: service ${service} mounts nothing at ${containerPath}`);
}

function dedupe(items: { key: string; message: string }[]) {
  return [...new Map(items.map((i) => [i.key, i])).values()];
}
