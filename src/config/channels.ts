/**
 * The channels file (STOCKFLOW_CHANNELS_FILE): which Omnitron channel talks to which marketplace, with what limits.
 * Secrets never sit in the file: a field `<secret>Env` names the environment variable that holds it (and
 * `<VARIABLE>_FILE` may point to a file with it), so the file can live in a repository or a config map.
 *
 *   { "channels": [
 *       { "channelId": 1, "adapter": "trendyol", "baseURL": "https://apigw.trendyol.com/", "sellerId": "123456",
 *         "apiKeyEnv": "TRENDYOL_API_KEY", "apiSecretEnv": "TRENDYOL_API_SECRET", "integratorName": "SelfIntegration",
 *         "limits": { "requestsPerSecond": 2 }, "safetyBuffer": 2, "schedule": { "updateProductStocks": "2m" } },
 *       { "channelId": 2, "adapter": "shopify", "baseURL": "https://my-shop.myshopify.com/", "apiVersion": "2026-01",
 *         "accessTokenEnv": "SHOPIFY_ACCESS_TOKEN" } ] }
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { STOCK_FLOWS, type StockFlowName } from '../../workflows/definitions';
import { durationText } from '../../workflows/durations';
import { channelConfigSchema, type ChannelConfig } from '../channels/registry';
import { issueEntries } from '../../workflows/issues';
import { secretFromEnv } from './secrets';

type Problem = { key: string; message: string };

/** What stockflow itself does per channel, beside the adapter: schedule cadence and the safety buffer. */
const channelSettingsSchema = z
  .object({
    /** Per flow, how often its schedule runs (e.g. "5m"); unnamed flows keep the defaults. */
    schedule: z.partialRecord(z.enum(STOCK_FLOWS), durationText).optional(),
    /** Held back from every quantity sent: published = max(0, stock - safetyBuffer). */
    safetyBuffer: z.number().int().min(0).default(0),
  })
  .strict();

export interface ChannelSettings {
  adapter: ChannelConfig;
  safetyBuffer: number;
  schedule?: Partial<Record<StockFlowName, string>>;
}

/** Reads and validates the channels file; every problem is named by its place in the file. */
export function loadChannels(
  path: string,
  env: NodeJS.ProcessEnv,
): { channels: Map<number, ChannelSettings>; problems: Problem[] } {
  const channels = new Map<number, ChannelSettings>();
  const seen = new Set<unknown>();
  const problems: Problem[] = [];
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    return { channels, problems: [{ key: 'STOCKFLOW_CHANNELS_FILE', message: `${path}: ${(err as Error).message}` }] };
  }
  const entries = (document as { channels?: unknown } | null)?.channels;
  if (!Array.isArray(entries)) {
    return {
      channels,
      problems: [{ key: 'STOCKFLOW_CHANNELS_FILE', message: `${path}: expected {"channels": [...]}` }],
    };
  }
  entries.forEach((raw: unknown, index) => {
    const where = `channels[${index}]`;
    if (!raw || typeof raw !== 'object') return problems.push({ key: where, message: 'expected an object' });
    const { channelId, schedule, safetyBuffer, ...fields } = raw as Record<string, unknown>;
    const settings = channelSettingsSchema.safeParse({ schedule, safetyBuffer });
    if (!settings.success) {
      for (const { path, message } of issueEntries(settings.error)) problems.push({ key: `${where}.${path}`, message });
    }
    if (!Number.isInteger(channelId) || (channelId as number) <= 0) {
      problems.push({ key: `${where}.channelId`, message: 'expected a positive integer' });
    } else if (seen.has(channelId)) {
      problems.push({ key: `${where}.channelId`, message: `channel ${String(channelId)} is configured twice` });
    }
    seen.add(channelId);
    // `apiKeyEnv: "TRENDYOL_API_KEY"` -> `apiKey: <value of TRENDYOL_API_KEY>`.
    const resolved: Record<string, unknown> = {};
    const unresolved = new Set<string>();
    for (const [field, value] of Object.entries(fields)) {
      if (!field.endsWith('Env')) {
        resolved[field] = value;
        continue;
      }
      const secret = typeof value === 'string' ? secretFromEnv(value, env) : { error: 'expected a variable name' };
      const target = field.slice(0, -'Env'.length);
      if ('error' in secret) {
        problems.push({ key: `${where}.${field}`, message: secret.error });
        unresolved.add(target);
      } else resolved[target] = secret.value;
    }
    const parsed = channelConfigSchema.safeParse(resolved);
    if (!parsed.success) {
      // A secret whose variable is missing was named above; zod would only add "required" for it.
      // Messages come from zod (never the values), so a secret cannot leak into them.
      for (const { path, message } of issueEntries(parsed.error)) {
        if (!unresolved.has(path.split(/[.[]/)[0]!)) problems.push({ key: `${where}.${path}`, message });
      }
    } else if (Number.isInteger(channelId) && settings.success) {
      channels.set(channelId as number, { adapter: parsed.data, ...settings.data });
    }
  });
  return { channels, problems };
}
