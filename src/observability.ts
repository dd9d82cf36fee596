/**
 * Structured JSON logs and metrics for a stockflow process, installed once before any worker or connection exists
 * (the Temporal Runtime is process-wide). Every SDK log line — workflow and activity lines with their workflowId,
 * runId, activityType, attempt — goes through pino as one JSON object; credentials are redacted by key should one ever
 * be passed as metadata. With STOCKFLOW_METRICS_ADDRESS the SDK serves Prometheus metrics, stockflow's own counters
 * (stocks sent/failed, batches done/failed, per channel) among them.
 */
import { DefaultLogger, Runtime, type LogLevel, type LogMetadata } from '@temporalio/worker';
import pino from 'pino';

const REDACTED_KEYS = ['password', 'token', 'key', 'apiKey', 'apiSecret', 'accessToken', 'authorization'];

export interface ObservabilityOptions {
  /** host:port for the Prometheus endpoint; none = no metrics endpoint. */
  metricsAddress?: string;
  level?: 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

export function installObservability(options: ObservabilityOptions = {}): void {
  const level = options.level ?? 'INFO';
  const log = pino({
    level: level.toLowerCase(),
    base: { service: 'stockflow' },
    redact: { paths: REDACTED_KEYS.flatMap((k) => [k, `*.${k}`]), censor: '[redacted]' },
  });
  const logger = new DefaultLogger(level, ({ level: entryLevel, message, meta }) => {
    log[entryLevel.toLowerCase() as Lowercase<LogLevel>]((meta ?? {}) as LogMetadata, message);
  });
  Runtime.install({
    logger,
    telemetryOptions: options.metricsAddress
      ? { metrics: { prometheus: { bindAddress: options.metricsAddress } } }
      : undefined,
  });
}
