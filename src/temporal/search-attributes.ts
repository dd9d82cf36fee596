/**
 * Registers stockflow's custom search attributes on a real cluster (the dev server gets them as start flags). Runs at
 * worker start-up, so a fresh cluster needs no manual `temporal operator search-attribute create`.
 */
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { STOCKFLOW_SEARCH_ATTRIBUTES } from '../../workflows/definitions';

const INDEXED_TYPE = {
  KEYWORD: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
} as const;

/** Adds the attributes the namespace lacks; returns the names it added. Idempotent. */
export async function ensureSearchAttributes(
  connection: Pick<Connection, 'operatorService'>,
  namespace: string,
): Promise<string[]> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const known = new Set([
    ...Object.keys(existing.customAttributes ?? {}),
    ...Object.keys(existing.systemAttributes ?? {}),
  ]);
  const missing = STOCKFLOW_SEARCH_ATTRIBUTES.filter((key) => !known.has(key.name));
  if (missing.length === 0) return [];
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(missing.map((key) => [key.name, INDEXED_TYPE[key.type as 'KEYWORD']])),
  });
  return missing.map((key) => key.name);
}
