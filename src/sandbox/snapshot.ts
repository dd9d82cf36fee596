/**
 * The local stack's sandbox survives a restart of `stockflow start`: its state (catalogue, Omnitron's batches,
 * reports and actions, the marketplaces' batches and quantities) is written to a file under the state folder while
 * it runs and when it stops, and read back at the next start, so batches in flight when the stack stopped are still
 * known (and finish) afterwards. Fault settings are not kept: a restart clears them.
 *
 * The state is a graph of class instances wired by their constructors. A snapshot keeps each one's own fields (maps,
 * sets, typed arrays, plain records; v8's structured serialisation); references between them are not stored but
 * left to the wiring of the fresh state the snapshot is read into.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { types } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { ChannelStockList } from './product-stocks';
import type { SandboxState } from './state';

/** Classes found inside collections (not wired by a constructor): revived by name. */
const REVIVABLE: Record<string, { prototype: object }> = { ChannelStockList };

type Encoded = unknown;
const COMPONENT = '__component';
const REF = '__ref';
const CLASS = '__class';

/** Realm-independent (a deserialised value's prototypes are those of the realm that read it). */
const isPlain = (value: object) => {
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
};
const isClassInstance = (value: unknown): value is object =>
  typeof value === 'object' &&
  value !== null &&
  !isPlain(value) &&
  !Array.isArray(value) &&
  !types.isPromise(value) &&
  !types.isMap(value) &&
  !types.isSet(value) &&
  !types.isDate(value) &&
  !ArrayBuffer.isView(value);

/**
 * `visited`: components seen (a second sight is a reference); `memo`: every collection and record already encoded, so
 * one shared by two owners (a batch in a map and in a queue) stays one object after the round trip.
 */
function encode(value: unknown, visited: Set<object>, memo = new Map<object, Encoded>()): Encoded {
  if (typeof value === 'function') return undefined;
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value) || types.isDate(value)) return value;
  if (isClassInstance(value) && !REVIVABLE[(value.constructor as { name: string }).name]) {
    // A component: its fields once; any other sight of it is a reference the fresh wiring already has.
    if (visited.has(value)) return { [REF]: true };
    visited.add(value);
    return { [COMPONENT]: fieldsOf(value, visited, memo) };
  }
  const known = memo.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const out: Encoded[] = [];
    memo.set(value, out);
    for (const v of value) out.push(encode(v, visited, memo));
    return out;
  }
  if (types.isMap(value)) {
    const out = new Map<unknown, Encoded>();
    memo.set(value, out);
    for (const [k, v] of value) out.set(k, encode(v, visited, memo));
    return out;
  }
  if (types.isSet(value)) {
    const out = new Set<Encoded>();
    memo.set(value, out);
    for (const v of value) out.add(encode(v, visited, memo));
    return out;
  }
  const fields: Record<string, Encoded> = {};
  const out = isClassInstance(value) ? { [CLASS]: (value.constructor as { name: string }).name, fields } : fields;
  memo.set(value, out);
  Object.assign(fields, fieldsOf(value, visited, memo));
  return out;
}

function fieldsOf(value: object, visited: Set<object>, memo: Map<object, Encoded>): Record<string, Encoded> {
  const out: Record<string, Encoded> = {};
  for (const [key, field] of Object.entries(value)) {
    const encoded = encode(field, visited, memo);
    if (encoded !== undefined) out[key] = encoded;
  }
  return out;
}

/** The inverse of encode, with the same memo: what was one object before is one object again. */
function decode(value: Encoded, memo: Map<object, unknown>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (ArrayBuffer.isView(value) || types.isDate(value)) return value;
  const known = memo.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    memo.set(value, out);
    for (const v of value) out.push(decode(v, memo));
    return out;
  }
  if (types.isMap(value)) {
    const out = new Map();
    memo.set(value, out);
    for (const [k, v] of value as Map<unknown, Encoded>) out.set(k, decode(v, memo));
    return out;
  }
  if (types.isSet(value)) {
    const out = new Set();
    memo.set(value, out);
    for (const v of value as Set<Encoded>) out.add(decode(v, memo));
    return out;
  }
  const record = value as Record<string, unknown>;
  const isRevived = typeof record[CLASS] === 'string';
  const out = (isRevived ? Object.create(REVIVABLE[record[CLASS] as string]!.prototype) : {}) as Record<
    string,
    unknown
  >;
  memo.set(value, out);
  const fields = (isRevived ? record.fields : record) as Record<string, Encoded>;
  for (const [k, v] of Object.entries(fields)) out[k] = decode(v, memo);
  return out;
}

/** Writes the snapshot's fields into the live (freshly wired) instance, component by component. */
function restoreInto(live: Record<string, unknown>, fields: Record<string, Encoded>, memo: Map<object, unknown>): void {
  for (const [key, value] of Object.entries(fields)) {
    const record = value as Record<string, unknown> | null;
    if (record && typeof record === 'object' && REF in record) continue;
    if (record && typeof record === 'object' && COMPONENT in record && isClassInstance(live[key])) {
      restoreInto(live[key] as Record<string, unknown>, record[COMPONENT] as Record<string, Encoded>, memo);
    } else {
      live[key] = decode(value, memo);
    }
  }
}

/** Format version of the file: a snapshot of another version is not read (the sandbox starts fresh). */
const VERSION = 1;

export function saveSandboxState(state: SandboxState, file: string): void {
  const visited = new Set<object>([state]);
  const memo = new Map<object, Encoded>();
  const snapshot = {
    version: VERSION,
    marketplace: encode(state.marketplace, visited, memo),
    catalog: encode(state.catalog, visited, memo),
  };
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, serialize(snapshot));
  renameSync(tmp, file); // atomic: a crash mid-write leaves the previous snapshot
}

/** Reads a snapshot into `state`; false when there is none (or of another version). */
export function loadSandboxState(state: SandboxState, file: string): boolean {
  if (!existsSync(file)) return false;
  const snapshot = deserialize(readFileSync(file)) as { version: number; marketplace: Encoded; catalog: Encoded };
  if (snapshot.version !== VERSION) return false;
  const memo = new Map<object, unknown>();
  for (const [live, saved] of [
    [state.marketplace, snapshot.marketplace],
    [state.catalog, snapshot.catalog],
  ] as const) {
    const fields = (saved as Record<string, unknown>)[COMPONENT] as Record<string, Encoded>;
    restoreInto(live as unknown as Record<string, unknown>, fields, memo);
  }
  return true;
}

/** How often a running stack writes its sandbox's snapshot (a crash loses at most this much of the sandbox's state). */
const SAVE_EVERY_MS = 5_000;

/** Writes the snapshot every few seconds; the returned function writes it a last time and stops. */
export function keepSandboxState(state: SandboxState, file: string): () => void {
  const timer = setInterval(() => saveSandboxState(state, file), SAVE_EVERY_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    saveSandboxState(state, file);
  };
}
