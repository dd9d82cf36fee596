/**
 * Where the local stack's sandbox listens, for CLI commands run beside `stockflow start` (e.g. `reconcile --out`
 * reads Omnitron's error reports there): `start` records the URL in the state folder (STOCKFLOW_SANDBOX_PORT may be 0,
 * a free port) and removes it when it stops; without the file, the configured port.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config';

const fileOf = (config: Config) => join(config.devServer.stateDir, 'sandbox-url');

export function recordSandboxUrl(config: Config, url: string): () => void {
  mkdirSync(config.devServer.stateDir, { recursive: true });
  writeFileSync(fileOf(config), `${url}\n`);
  return () => rmSync(fileOf(config), { force: true });
}

export function localSandboxUrl(config: Config): string {
  const file = fileOf(config);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : `http://127.0.0.1:${config.sandbox.port}`;
}
