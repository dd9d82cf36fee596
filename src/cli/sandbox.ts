import { once } from 'node:events';
import { startSandbox } from '../sandbox/server';

/** Runs the sandbox until SIGINT/SIGTERM. */
export async function sandboxCommand(opts: { port: string; host: string }): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port: not a port number: ${opts.port}`);
  const sandbox = await startSandbox({ host: opts.host, port });
  console.log(`Sandbox listening on ${sandbox.url}`);
  for (const [face, url] of Object.entries(sandbox.urls)) console.log(`  ${face.padEnd(9)} ${url}`);
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await sandbox.close();
  console.log('Sandbox stopped.');
}
