/**
 * Feed documents travel through presigned URLs (S3 in production), not the Selling Partner API: the upload is a PUT
 * of the feed's bytes with the content type given to createFeedDocument and no SP-API headers; the processing report
 * is a GET, gzip-compressed when Amazon says so. A presigned URL's query string is its signature, so exchanges record
 * the URL without it (errors carry paths only already).
 */
import { gunzipSync } from 'node:zlib';
import type { AxiosInstance } from 'axios';
import { createHttpClient } from '../../http/client';
import type { ChannelExchange } from '../port';

export class FeedDocuments {
  private readonly http: AxiosInstance;

  constructor(options: { baseURL: string; timeoutMs?: number }) {
    // The base URL is never used (every URL is absolute); it only satisfies the client's contract.
    this.http = createHttpClient({ api: 'amazon-documents', baseURL: options.baseURL, timeoutMs: options.timeoutMs });
  }

  async upload(url: string, contentType: string, content: string): Promise<ChannelExchange> {
    const response = await this.http.put<string>(url, content, {
      headers: { 'Content-Type': contentType },
      responseType: 'text',
      transformRequest: (data: unknown) => data,
    });
    return exchangeOf('PUT', url, content, response.status, response.data);
  }

  async download(url: string, compression: string | undefined): Promise<{ text: string; exchange: ChannelExchange }> {
    const response = await this.http.get<ArrayBuffer>(url, { responseType: 'arraybuffer' });
    const bytes = Buffer.from(response.data);
    const text = (compression === 'GZIP' ? gunzipSync(bytes) : bytes).toString('utf8');
    return { text, exchange: exchangeOf('GET', url, '', response.status, text) };
  }
}

function exchangeOf(method: string, url: string, requestBody: string, status: number, body: unknown): ChannelExchange {
  const unsigned = new URL(url);
  unsigned.search = '';
  const responseBody = typeof body === 'string' ? body : '';
  return { method, url: unsigned.toString(), requestBody, status, responseBody };
}
