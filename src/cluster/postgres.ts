/**
 * PostgreSQL for the native cluster: a data folder in the git-ignored state folder, created once with the compose
 * service's superuser and password (`initdb`), served on loopback only. Run as root (CI), it runs as Debian's
 * `postgres` user, which PostgreSQL requires. The password is set when the folder is created; a later start with
 * another one fails to connect (delete the folder, or keep the password).
 */
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ManagedProcess, spawnManaged, waitFor } from './processes';

const run = promisify(execFile);

export interface PostgresOptions {
  bin: string;
  dataDir: string;
  logFile: string;
  port: number;
  user: string;
  password: string;
}

/** uid/gid of Debian's `postgres` user when this process runs as root (else undefined: run as ourselves). */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error('running as root, but there is no `postgres` user to run PostgreSQL as');
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startPostgres(options: PostgresOptions): Promise<ManagedProcess> {
  const user = runAs();
  const owned = (path: string) => user && chownSync(path, user.uid, user.gid);
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  owned(options.dataDir);
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
    const pwfile = join(options.dataDir, '..', '.pg-password');
    writeFileSync(pwfile, `${options.password}\n`, { mode: 0o600 });
    owned(pwfile);
    try {
      await run(
        join(options.bin, 'initdb'),
        ['-D', options.dataDir, '-U', options.user, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8'],
        user ? { uid: user.uid, gid: user.gid } : {},
      );
    } finally {
      rmSync(pwfile, { force: true });
    }
  }
  const postgres = spawnManaged(
    'postgresql',
    join(options.bin, 'postgres'),
    ['-D', options.dataDir, '-c', 'listen_addresses=127.0.0.1', '-p', String(options.port), '-k', options.dataDir],
    { env: { ...process.env, LANG: 'C' }, logFile: options.logFile, ...user },
  );
  await waitFor(
    `PostgreSQL on 127.0.0.1:${options.port}`,
    async () => {
      await run(join(options.bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(options.port), '-q']);
      return true;
    },
    60_000,
    postgres,
  );
  return postgres;
}
