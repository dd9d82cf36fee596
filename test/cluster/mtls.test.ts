/**
 * The native compose cluster with mTLS between clients and the frontend, configured only through docker-compose.yml's
 * variables (TEMPORAL_TLS_* for the server and the worker, TEMPORAL_UI_TLS_* for the UI server): a worker with a
 * client certificate runs a flow; a client without one is refused.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { type Cluster, startClusterOnFreePorts } from '../../src/cluster/cluster';
import { StockflowClient } from '../../src/client';
import type { SendFlowSummary } from '../../workflows/send-flows';

/** A CA, a server certificate for localhost / 127.0.0.1 and a client certificate, made with openssl. */
function certificates(dir: string) {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-subj',
    '/CN=stockflow test CA',
  );
  for (const [name, subject, ext] of [
    ['server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth'],
    ['client', '/CN=stockflow-worker', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-out',
      `${name}.pem`,
      '-extfile',
      `${name}.ext`,
    );
  }
  return (name: string) => join(dir, name);
}

let cluster: Cluster;
let file: (name: string) => string;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'stockflow-mtls-'));
  file = certificates(dir);
  cluster = await startClusterOnFreePorts({
    stateDir: join(dir, 'cluster'),
    workers: 1,
    sandboxSkus: 200,
    env: {
      ...process.env,
      OMNITRON_URL: '',
      TEMPORAL_POSTGRES_PASSWORD: randomBytes(16).toString('hex'),
      TEMPORAL_TLS_REQUIRE_CLIENT_AUTH: 'true',
      TEMPORAL_TLS_FRONTEND_CERT: file('server.pem'),
      TEMPORAL_TLS_FRONTEND_KEY: file('server.key'),
      TEMPORAL_TLS_CLIENT1_CA_CERT: file('ca.pem'),
      TEMPORAL_TLS_CLIENT2_CA_CERT: file('ca.pem'),
      TEMPORAL_TLS_SERVER_CERT: file('server.pem'),
      TEMPORAL_TLS_SERVER_KEY: file('server.key'),
      TEMPORAL_TLS_SERVER_CA_CERT: file('ca.pem'),
      TEMPORAL_TLS_FRONTEND_SERVER_NAME: 'localhost',
      TEMPORAL_TLS_INTERNODE_SERVER_NAME: 'localhost',
      TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: file('client.key'),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'),
      TEMPORAL_TLS_SERVER_NAME: 'localhost',
      TEMPORAL_UI_TLS_CA: file('ca.pem'),
      TEMPORAL_UI_TLS_CERT: file('client.pem'),
      TEMPORAL_UI_TLS_KEY: file('client.key'),
      TEMPORAL_UI_TLS_SERVER_NAME: 'localhost',
    },
    log: (line) => process.stderr.write(`[mtls cluster] ${line}\n`),
  });
}, 600_000);

afterAll(() => cluster?.stop({ removeData: true }));

test('a worker with its client certificate runs a flow over mTLS; a client without one is refused', async () => {
  const connection = await Connection.connect({
    address: cluster.address,
    tls: {
      serverNameOverride: 'localhost',
      serverRootCACertificate: readFileSync(file('ca.pem')),
      clientCertPair: { crt: readFileSync(file('client.pem')), key: readFileSync(file('client.key')) },
    },
  });
  try {
    const stockflow = new StockflowClient(new Client({ connection }), 'stockflow');
    const summary = (await (
      await stockflow.start('insertProductStocks', { channelId: 2 })
    ).result()) as SendFlowSummary;
    expect(summary).toMatchObject({ stocksSent: 196, pagesFailed: 0 });
  } finally {
    await connection.close();
  }
  // TLS without a client certificate, and plaintext: the frontend refuses both.
  const noCertificate = Connection.connect({
    address: cluster.address,
    connectTimeout: 3_000,
    tls: { serverNameOverride: 'localhost', serverRootCACertificate: readFileSync(file('ca.pem')) },
  }).then(async (c) => {
    try {
      await c.workflowService.getSystemInfo({});
    } finally {
      await c.close();
    }
  });
  await expect(noCertificate).rejects.toThrow();
  await expect(Connection.connect({ address: cluster.address, connectTimeout: 3_000 })).rejects.toThrow();
  // The UI server reaches the frontend with its own certificate.
  expect((await fetch(`${cluster.uiUrl}/api/v1/namespaces/default`)).status).toBe(200);
}, 300_000);
