/**
 * Encrypted payloads end to end: a stock flow runs with the codec on the worker and the client; the history read raw
 * from the server (a client without the codec) holds ciphertext only, and after a key rotation the old history still
 * decodes.
 */
import { randomBytes } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { codecDataConverter, ENCRYPTED_ENCODING, KEY_ID_METADATA, type CodecKey } from '../../src/temporal/codec';
import type { SendFlowSummary } from '../../workflows/send-flows';
import { startStockTestEnv, type StockTestEnv } from '../support/stock-env';

const k1: CodecKey = { id: 'k1', key: randomBytes(32) };
const k2: CodecKey = { id: 'k2', key: randomBytes(32) };
let env: StockTestEnv;
beforeAll(async () => {
  env = await startStockTestEnv({ skus: 60, dataConverter: codecDataConverter([k1]) });
});
afterAll(async () => {
  await env?.close();
});

/** The SDK's own bookkeeping in its markers, written by the SDK core without the codec: a patch marker's patch id. */
const SDK_MARKER_DETAILS: Record<string, string> = { core_patch: 'patch-data' };

/**
 * Every payload anywhere in a history (inputs, results, activity arguments, heartbeat details, summaries…) except
 * search attributes, which the server indexes and so must read: they hold the channel id and the flow name only.
 */
function payloadsIn(value: unknown, found: Payload[] = []): Payload[] {
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if ('data' in record && 'metadata' in record && record.metadata && typeof record.metadata === 'object') {
      found.push(record as Payload);
    } else {
      const sdkOwn = typeof record.markerName === 'string' ? SDK_MARKER_DETAILS[record.markerName] : undefined;
      for (const [key, child] of Object.entries(record)) {
        if (key === 'searchAttributes') continue;
        if (key === 'details' && sdkOwn && child && typeof child === 'object') {
          for (const [part, payloads] of Object.entries(child)) if (part !== sdkOwn) payloadsIn(payloads, found);
        } else payloadsIn(child, found);
      }
    }
  }
  return found;
}

test('the server holds ciphertext only; the codec reads it back, also after the key is rotated', async () => {
  const handle = await env.stockflow.start('insertProductStocks', { channelId: 2, isSuccessLog: true });
  const summary = (await handle.result()) as SendFlowSummary;
  expect(summary.stocksSent).toBeGreaterThan(0);

  const raw = await env.temporal.client.workflow.getHandle(handle.workflowId).fetchHistory();
  const payloads = payloadsIn(raw.events);
  expect(payloads.length).toBeGreaterThan(10); // input, result, every activity's arguments and result
  for (const payload of payloads) {
    expect(Buffer.from(payload.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(payload.metadata![KEY_ID_METADATA]!).toString()).toBe('k1');
  }
  const bytes = Buffer.concat(payloads.map((p) => Buffer.from(p.data ?? []))).toString('latin1');
  for (const plaintext of ['channelId', 'isSuccessLog', 'stocksSent', 'batchPk', 'SF00000']) {
    expect(bytes).not.toContain(plaintext);
  }

  // Rotation: k2 now encrypts, k1 still decodes what it wrote.
  const rotated = new Client({
    connection: env.temporal.client.connection,
    namespace: env.temporal.namespace,
    dataConverter: codecDataConverter([k2, k1]),
  });
  expect(await rotated.workflow.getHandle(handle.workflowId).result()).toEqual(summary);
  const withoutOld = new Client({
    connection: env.temporal.client.connection,
    namespace: env.temporal.namespace,
    dataConverter: codecDataConverter([k2]),
  });
  await expect(withoutOld.workflow.getHandle(handle.workflowId).result()).rejects.toThrow(
    'payload encrypted with key "k1"',
  );
});
