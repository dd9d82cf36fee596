/**
 * A codec server (Temporal's remote codec protocol): `POST /decode` and `POST /encode` take `{payloads: [...]}` with
 * base64 metadata and data and answer the same shape, decoded or encoded with stockflow's payload codec. The Web UI
 * pointed at it (`--ui-codec-endpoint`, or the UI server's `codec.endpoint`) shows operators decrypted inputs,
 * results and details; the Temporal CLI uses it with `--codec-endpoint`. It can decrypt everything: bind it to
 * loopback (the default) or put it behind the same authentication as the UI.
 */
import Fastify from 'fastify';
import type { Payload } from '@temporalio/common';
import { AesGcmPayloadCodec, type CodecKey } from './codec';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

export async function startCodecServer(options: {
  keys: readonly CodecKey[];
  port: number;
  host?: string;
  /** Origins allowed to call it from a browser (the Web UI's); none: any origin on this host. */
  origins?: readonly string[];
}): Promise<CodecServer> {
  const codec = new AesGcmPayloadCodec(options.keys);
  const app = Fastify({ bodyLimit: 64 * 1024 * 1024 });
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (origin && (!options.origins || options.origins.includes(origin))) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-allow-credentials', 'true');
      reply.header('access-control-allow-methods', 'POST, OPTIONS');
      reply.header('access-control-allow-headers', 'content-type, x-namespace, authorization');
      reply.header('vary', 'origin');
    }
  });
  app.options('/*', async (_request, reply) => reply.code(204).send());
  for (const action of ['encode', 'decode'] as const) {
    app.post(`/${action}`, async (request, reply) => {
      const body = request.body as { payloads?: JsonPayload[] } | undefined;
      if (!body || !Array.isArray(body.payloads))
        return reply.code(400).send({ message: 'payloads: expected an array' });
      try {
        const done = await codec[action](body.payloads.map(fromJson));
        return { payloads: done.map(toJson) };
      } catch (err) {
        return reply.code(400).send({ message: (err as Error).message });
      }
    });
  }
  const address = await app.listen({ port: options.port, host: options.host ?? '127.0.0.1' });
  return { url: address, close: () => app.close() };
}
