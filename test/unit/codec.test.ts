/**
 * The payload codec without a server: AES-256-GCM round trips, key rotation (old keys still decode, the first key
 * encrypts), refusals that name the setting and never echo a key, and the codec server over a real socket.
 */
import { randomBytes } from 'node:crypto';
import axios from 'axios';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { ConfigError, loadConfig } from '../../src/config';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  parseCodecKeys,
  type CodecKey,
} from '../../src/temporal/codec';
import { startCodecServer } from '../../src/temporal/codec-server';

const key = (id: string): CodecKey => ({ id, key: randomBytes(32) });
const [k1, k2] = [key('k1'), key('k2')];
const input = { channelId: 2, isSuccessLog: true, note: 'SF0000042 holds 7' };
const plainPayload = (): Payload => defaultPayloadConverter.toPayload(input);
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('latin1');

test('a payload is encrypted (no plaintext, key id in the metadata) and decodes to what it was', async () => {
  const codec = new AesGcmPayloadCodec([k1]);
  const [encrypted] = await codec.encode([plainPayload()]);
  expect(text(encrypted!.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
  expect(text(encrypted!.metadata?.[KEY_ID_METADATA])).toBe('k1');
  expect(text(encrypted!.data)).not.toContain('channelId');
  expect(text(encrypted!.data)).not.toContain('SF0000042');
  const [decoded] = await codec.decode([encrypted!]);
  expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(input);
  // The same payload twice encrypts differently (a fresh IV each time).
  const [again] = await codec.encode([plainPayload()]);
  expect(Buffer.from(again!.data!).equals(Buffer.from(encrypted!.data!))).toBe(false);
});

test('rotation: the first key encrypts, the old ones still decode; a key no longer held is named', async () => {
  const [old] = await new AesGcmPayloadCodec([k1]).encode([plainPayload()]);
  const rotated = new AesGcmPayloadCodec([k2, k1]);
  expect(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!)).toEqual(input);
  const [fresh] = await rotated.encode([plainPayload()]);
  expect(text(fresh!.metadata?.[KEY_ID_METADATA])).toBe('k2');
  await expect(new AesGcmPayloadCodec([k2]).decode([old!])).rejects.toThrow(
    'payload encrypted with key "k1", which STOCKFLOW_CODEC_KEYS does not hold',
  );
  // Payloads written before the codec was turned on pass through untouched.
  const clear = plainPayload();
  expect(await rotated.decode([clear])).toEqual([clear]);
});

test('a tampered payload is refused, not decoded into something else', async () => {
  const [encrypted] = await new AesGcmPayloadCodec([k1]).encode([plainPayload()]);
  const data = Buffer.from(encrypted!.data!);
  data[20] = data[20]! ^ 1;
  await expect(new AesGcmPayloadCodec([k1]).decode([{ ...encrypted!, data }])).rejects.toThrow();
});

test('STOCKFLOW_CODEC_KEYS: parsed in order; a bad entry stops start-up naming the variable, never the key', () => {
  const value = `k2:${k2.key.toString('base64')},k1:${k1.key.toString('base64')}`;
  expect(loadConfig({ STOCKFLOW_CODEC_KEYS: value }).codecKeys?.map((k) => k.id)).toEqual(['k2', 'k1']);
  expect(parseCodecKeys('k1:c2hvcnQ=')).toEqual({ problem: 'key "k1": expected 32 bytes (base64), got 5' });
  expect(parseCodecKeys(`a:${k1.key.toString('base64')},a:${k2.key.toString('base64')}`)).toEqual({
    problem: 'key id "a" appears twice',
  });
  let error: unknown;
  try {
    loadConfig({ STOCKFLOW_CODEC_KEYS: `k1:${k1.key.toString('base64').slice(0, 20)}` });
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect((error as ConfigError).problems.map((p) => p.key)).toEqual(['STOCKFLOW_CODEC_KEYS']);
  expect((error as Error).message).not.toContain(k1.key.toString('base64').slice(0, 20));
});

test('the codec server decodes and encodes over HTTP (Temporal remote codec protocol), for the UI origin', async () => {
  const server = await startCodecServer({ keys: [k2, k1], port: 0, origins: ['http://127.0.0.1:8233'] });
  try {
    const [encrypted] = await new AesGcmPayloadCodec([k1]).encode([plainPayload()]);
    const asJson = (p: Payload) => ({
      metadata: Object.fromEntries(
        Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v!).toString('base64')]),
      ),
      data: Buffer.from(p.data ?? []).toString('base64'),
    });
    const decoded = await axios.post<{ payloads: { metadata: Record<string, string>; data: string }[] }>(
      `${server.url}/decode`,
      { payloads: [asJson(encrypted!)] },
      { headers: { origin: 'http://127.0.0.1:8233', 'x-namespace': 'default' } },
    );
    expect(decoded.headers['access-control-allow-origin']).toBe('http://127.0.0.1:8233');
    expect(JSON.parse(Buffer.from(decoded.data.payloads[0]!.data, 'base64').toString())).toEqual(input);
    const encoded = await axios.post<{ payloads: { metadata: Record<string, string> }[] }>(`${server.url}/encode`, {
      payloads: decoded.data.payloads,
    });
    expect(Buffer.from(encoded.data.payloads[0]!.metadata[KEY_ID_METADATA]!, 'base64').toString()).toBe('k2');
    const preflight = await axios.options(`${server.url}/decode`, {
      headers: { origin: 'http://127.0.0.1:8233', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-headers']).toContain('x-namespace');
    const stranger = await axios.post(`${server.url}/decode`, { payloads: [] }, { headers: { origin: 'http://evil' } });
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    const bad = await axios.post(`${server.url}/decode`, { nope: 1 }, { validateStatus: () => true });
    expect(bad.status).toBe(400);
  } finally {
    await server.close();
  }
});
