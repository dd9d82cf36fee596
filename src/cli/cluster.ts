import { once } from 'node:events';
import { join } from 'node:path';
import { startCluster } from '../cluster/cluster';

/**
 * `stockflow cluster`: the docker-compose stack run natively (src/cluster/) until SIGINT/SIGTERM, then everything it
 * started is stopped, workers first (they drain), PostgreSQL last.
 */
export async function clusterCommand(opts: { workers: string; portOffset: string; stateDir?: string; skus: string }) {
  const workers = Number(opts.workers);
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`--workers: not a whole number: ${opts.workers}`);
  const portOffset = Number(opts.portOffset);
  if (!Number.isInteger(portOffset) || portOffset < 0)
    throw new Error(`--port-offset: not a whole number: ${opts.portOffset}`);
  const stateDir = opts.stateDir ?? join(process.env.STOCKFLOW_STATE_DIR ?? '.stockflow', 'cluster');
  const cluster = await startCluster({
    stateDir,
    workers,
    portOffset,
    sandboxSkus: Number(opts.skus),
    log: (line) => console.log(line),
  });
  console.log(`Cluster ready: TEMPORAL_ADDRESS=${cluster.address}, Web UI ${cluster.uiUrl}. Ctrl-C stops everything.`);
  await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
  console.log('Stopping the cluster ...');
  await cluster.stop();
  console.log('Cluster stopped.');
}
