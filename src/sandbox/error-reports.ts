/** Error reports ("Sales Channel Logs"): what a channel app wrote about its batches and objects, in write order. */
import { type Catalogue, iso } from './catalogue';
import { notFound } from './http-helpers';

/** A report as Omnitron stores it: the spec's record (keyed `id`; `target_object_id` is a string). */
export interface ErrorReport {
  id: number;
  /** The channel whose URL it was posted under (not a field of the spec's record). */
  channel: number;
  action_content_type: number;
  action_object_id: number;
  target_content_type: number;
  target_object_id: string;
  obj_modified_date: string;
  error_code: string;
  error_desc: string;
  raw_request: string | null;
  raw_response: string | null;
  is_ok: boolean;
  created_date: string;
  modified_date: string;
}

export type ErrorReportInput = Omit<ErrorReport, 'id' | 'channel' | 'created_date' | 'modified_date'>;

export class ErrorReports {
  readonly all: ErrorReport[] = [];

  constructor(private readonly model: Catalogue) {}

  reset(): void {
    this.all.length = 0;
  }

  add(channel: number, input: ErrorReportInput): ErrorReport {
    if (!this.model.channels.has(channel)) throw notFound();
    const now = iso();
    const report = { id: this.all.length + 1, channel, ...input, created_date: now, modified_date: now };
    this.all.push(report);
    return report;
  }
}
