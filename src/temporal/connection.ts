import type { Config, TemporalConnectionSettings } from '../config';

/**
 * Connection options for the configured Temporal: its address with TLS / API key / metadata, or — when none is
 * configured — the embedded dev server's loopback address, which takes none of them.
 */
export function temporalConnectionOptions(
  config: Config,
  embeddedAddress: string,
): TemporalConnectionSettings & { address: string } {
  return config.temporal.address
    ? { address: config.temporal.address, ...config.temporal.connection }
    : { address: embeddedAddress };
}
