/**
 * What every stock activity shares: its dependencies (clients, adapters, settings), the channel set-up it reads, and
 * the small facts about batches the steps agree on.
 */
import type { ChannelAdapter } from '../src/channels/port';
import type { MalformedProductStock, OmnitronClient } from '../src/omnitron/client';
import type { BatchRequest, Channel } from '../src/omnitron/schemas';
import type { WhippyStockClient } from '../src/stock-api/client';
import type { ChannelSettings } from './channel-items';
import type { ObjectFailure } from './error-reports';
import { permanent } from './failures';

export interface StockActivityDeps {
  omnitron: OmnitronClient;
  /** The Omnitron channels this deployment syncs; each gets workers on its own rate-limited task queue. */
  channelIds: readonly number[];
  /** The configured adapter of an Omnitron channel; throws when the channel has none. */
  channelAdapter(channelId: number): ChannelAdapter;
  /** Held back from every quantity sent to the channel (published = max(0, stock - buffer)); 0 when absent. */
  safetyBuffer?(channelId: number): number;
  /** The stock API (WHIPPY_URL), which reconciliation reads; absent: reconciliation fails, naming the setting. */
  whippy?: WhippyStockClient;
}

/** Default of `staleCommitAfter` (workflows/inputs.ts) for callers that pass none. */
export const STALE_COMMIT_AFTER_MS = 30 * 60_000;

export const OPEN_FOR_SENDING: readonly BatchRequest['status'][] = ['sent_to_remote', 'ongoing'];

/** Counts of a finished batch, read back from its objects (the idempotent answer to a repeated call). */
export function finishedCounts(batch: BatchRequest): { succeeded: number; failed: number } {
  const failed = batch.objects.filter((o) => o.failed_reason_type).length;
  return { succeeded: batch.status === 'done' ? batch.objects.length - failed : 0, failed };
}

export function malformedFailure(m: MalformedProductStock, where: string): ObjectFailure {
  const fields = m.fields.map((f) => `${f.path || '(record)'}: ${f.message}`).join('; ');
  return { pk: m.pk ?? 0, message: `malformed product stock from Omnitron${where}: ${fields}`, reason: 'channel_app' };
}

/** The channel's adapter; a channel stockflow has none for cannot be fixed by retrying. */
export function adapterOf(deps: Pick<StockActivityDeps, 'channelAdapter'>, channelId: number): ChannelAdapter {
  try {
    return deps.channelAdapter(channelId);
  } catch (err) {
    throw permanent('ChannelNotConfigured', err instanceof Error ? err.message : String(err));
  }
}

/** What the channel items of a channel are built with: identity rule, buffer, limits. */
export function settingsOf(
  deps: Pick<StockActivityDeps, 'safetyBuffer'>,
  channel: Channel,
  adapter: ChannelAdapter,
): ChannelSettings {
  return {
    channelId: channel.pk,
    remoteIdAttribute: channel.conf.remote_id_attribute ?? null,
    safetyBuffer: deps.safetyBuffer?.(channel.pk) ?? 0,
    limits: adapter.descriptor.limits,
  };
}

/** What a log line names a batch by: ids only, never its records. */
export const ids = (input: { channelId: number; batchPk: number }) => ({
  channelId: input.channelId,
  batchPk: input.batchPk,
});

/** The channel's catalogue, WAREHOUSE_CODES, settings and adapter. */
export async function channelSetup(deps: StockActivityDeps, channelId: number) {
  const channel = await deps.omnitron.getChannel(channelId);
  const adapter = adapterOf(deps, channelId);
  if (channel.catalog === null) throw permanent('ChannelWithoutCatalog', `channel ${channelId} has no catalogue`);
  const catalog = await deps.omnitron.getCatalog(channel.catalog);
  return { channel, adapter, catalog, settings: settingsOf(deps, channel, adapter) };
}
