import { gunzipSync } from 'node:zlib';
import { request } from 'undici';

export const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A GET that shows exactly what the server sent (no automatic decompression). */
export async function get(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const res = await request(url, { method: 'GET', headers });
  const buf = Buffer.from(await res.body.arrayBuffer());
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) h[k] = Array.isArray(v) ? v.join(', ') : String(v);
  const body = h['content-encoding'] === 'gzip' ? gunzipSync(buf).toString('utf8') : buf.toString('utf8');
  return { status: res.statusCode, headers: h, body };
}
