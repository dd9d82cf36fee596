/**
 * The optional payload codec: every payload stockflow's workers and clients exchange with Temporal (workflow inputs
 * and results, activity arguments, heartbeat details, queries, updates) is encrypted with AES-256-GCM before it leaves
 * the process, so the server's database and its history API hold ciphertext only. The key id travels in the payload's
 * metadata: with several keys configured the first encrypts and every one decrypts, so a key can be rotated without
 * losing the histories written under the old one. Keys come from STOCKFLOW_CODEC_KEYS (or its _FILE).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** Metadata `encoding` of an encrypted payload (the original payload, protobuf-encoded, is the plaintext). */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key naming the key that encrypted the payload. */
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface CodecKey {
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  /** `keys[0]` encrypts; every key decrypts what it encrypted. */
  constructor(private readonly keys: readonly CodecKey[]) {
    if (keys.length === 0) throw new Error('the payload codec needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys[0]!;
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: Buffer.from(id) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (text(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const id = text(payload.metadata?.[KEY_ID_METADATA]) ?? '';
      const key = this.byId.get(id);
      if (!key) throw new Error(`payload encrypted with key "${id}", which STOCKFLOW_CODEC_KEYS does not hold`);
      const data = Buffer.from(payload.data ?? []);
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/** The data converter of a process with codec keys configured (none: Temporal's default, no encryption). */
export function codecDataConverter(keys: readonly CodecKey[] | undefined): DataConverter | undefined {
  return keys && keys.length > 0 ? { payloadCodecs: [new AesGcmPayloadCodec(keys)] } : undefined;
}

/**
 * Parses STOCKFLOW_CODEC_KEYS: `id:base64key[,id:base64key…]`, the first the current key. Returns the problem (never
 * echoing a key) or the keys.
 */
export function parseCodecKeys(value: string): { keys: CodecKey[] } | { problem: string } {
  const keys: CodecKey[] = [];
  for (const [index, entry] of value
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter(Boolean)
    .entries()) {
    const match = /^([A-Za-z0-9._-]{1,64}):(\S+)$/.exec(entry);
    if (!match) return { problem: `entry ${index + 1}: expected <key id>:<base64 key>` };
    const key = Buffer.from(match[2]!, 'base64');
    if (key.length !== 32) return { problem: `key "${match[1]}": expected 32 bytes (base64), got ${key.length}` };
    if (keys.some((k) => k.id === match[1])) return { problem: `key id "${match[1]}" appears twice` };
    keys.push({ id: match[1]!, key });
  }
  return keys.length > 0 ? { keys } : { problem: 'no key given' };
}
