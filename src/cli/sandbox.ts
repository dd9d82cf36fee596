import { once } from 'node:events';
import { startSandbox } from '../sandbox/server';

/** Runs the sandbox until SIGINT/SIGTERM. */
export async function sandboxCommand(opts: { port: string; host: string; skus: string }): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new Error(`--port: not a port number: ${opts.port}`);
  const skus = Number(opts.skus);
  if (!Number.isInteger(skus) || skus < 0) throw new Error(`--skus: not a whole number: ${opts.skus}`);
  const sandbox = await startSandbox({ host: opts.host, port });
  console.log(`Sandbox listening on ${sandbox.url}`);
  if (skus > 0) {
    const seeded = sandbox.state.catalog.seed({ skus });
    const channels = seeded.channels.map((c) => `${c.pk} (${c.name})`).join(', ');
    console.log(`Seeded ${skus} SKUs; channels ${channels}; Omnitron login ${seeded.credentials.omnitron.username}`);
  }
  for (const [face, url] of Object.entries(sandbox.urls)) console.log(`  ${face.padEnd(9)} ${url}`);
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  await sandbox.close();
  console.log('Sandbox stopped.');
}
