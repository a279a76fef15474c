// Fetches one resource's representation from the feed's own origin.
import { listPath, MAX_LIST_UUIDS, REST_PATH, restPath, UUID_PATTERN } from '../shared/protocol.ts';
import type { ResourceName } from '../shared/resources.ts';
import { HttpStatusError, InvalidResourceError } from './errors.ts';
import type { FeedAddress } from './feed-address.ts';
import { redact } from './http-client.ts';
import type { HttpClient } from './http-client.ts';
import type { Semaphore } from './semaphore.ts';

export const MAX_RESOURCE_BYTES = 2 * 1024 * 1024;
/**
 * Resources asked for in one list request: half of what a publisher accepts. A list of 100 costs
 * 2 units of the publisher's fair share of 32 (publisher/fair-share.ts), so a default subscriber's
 * 16 requests in flight fit its share and are never refused.
 */
export const LIST_REQUEST_UUIDS = MAX_LIST_UUIDS / 2;

export interface ResourceFetcherOptions {
  /** Extra headers, e.g. the subscriber's identity. */
  headers?: Record<string, string>;
  maxBytes?: number;
  /**
   * List requests ask for `v=full` (with display labels and links) instead of the lean
   * `v=sync`. For sinks that read labels (the ERP). Single resources are always fetched by
   * the entry's own path.
   */
  labels?: boolean;
}

/** The states a source carries itself (a bundle), by `resource/uuid` in lower case. */
export type LocalStates = ReadonlyMap<string, Record<string, unknown>>;

export class ResourceFetcher {
  /** Sources whose states are in hand (bundles, by their key): served from there, never asked over HTTP. */
  private readonly local = new Map<string, LocalStates>();
  /** Origins that answered a list request with an error: a plain atomfeed publisher. Asked one by one from then on. */
  private readonly noBatch = new Set<string>();
  /** Origins that refused `v=sync` (an older atomsync): their lists are asked for with `v=full`. */
  private readonly noSyncForm = new Set<string>();
  private readonly headers: Record<string, string>;
  private readonly maxBytes: number;
  private readonly labels: boolean;

  constructor(
    private readonly http: HttpClient,
    private readonly limiter: Semaphore,
    o: ResourceFetcherOptions = {},
  ) {
    this.headers = o.headers ?? {};
    this.maxBytes = o.maxBytes ?? MAX_RESOURCE_BYTES;
    this.labels = o.labels ?? false;
  }

  /** Serves the source with this key from `states`; a state it lacks is as unknown (404). */
  serveLocally(key: string, states: LocalStates): void {
    this.local.set(key, states);
  }

  /** `path` is the entry's content (REST path); without it the canonical path is built from resource and uuid. */
  async fetch(source: FeedAddress, resource: ResourceName, uuid: string, path?: string): Promise<Record<string, unknown>> {
    const local = this.local.get(source.key);
    if (local) {
      const rep = local.get(`${resource}/${uuid.toLowerCase()}`);
      if (!rep) throw new HttpStatusError(`${resource} ${uuid} is not in the bundle (nor held from an earlier one)`, `${source.key}/${resource}/${uuid}`, 404);
      return rep as Record<string, unknown>; // the stages read representations and never change them
    }
    const url = source.resolve(path ?? restPath(resource, uuid));
    const res = await this.limiter.run(() =>
      this.http.get(url, { authorization: source.authorization, accept: 'application/json', maxBytes: this.maxBytes, headers: this.headers }),
    );
    if (res.notModified) throw new HttpStatusError(`GET ${redact(url)} answered 304 to a request without If-None-Match`, redact(url), 304);
    let rep: unknown;
    try {
      rep = JSON.parse(res.body);
    } catch {
      throw new InvalidResourceError(`${resource} ${uuid}: the response is not JSON`, resource, uuid);
    }
    if (typeof rep !== 'object' || rep === null || Array.isArray(rep)) {
      throw new InvalidResourceError(`${resource} ${uuid}: the response is not a JSON object`, resource, uuid);
    }
    return rep as Record<string, unknown>;
  }

  async fetchMany(source: FeedAddress, resource: ResourceName, uuids: string[]): Promise<Map<string, Record<string, unknown>>> {
    const out = new Map<string, Record<string, unknown>>();
    if (uuids.length === 0) return out;
    const local = this.local.get(source.key);
    if (local) {
      for (const u of uuids) {
        const rep = local.get(`${resource}/${u.toLowerCase()}`);
        if (rep) out.set(u.toLowerCase(), rep as Record<string, unknown>);
      }
      return out;
    }
    if (this.noBatch.has(source.origin)) {
      await Promise.all(
        uuids.map(async (u) => {
          try {
            out.set(u, await this.fetch(source, resource, u));
          } catch {
            // Left out: the caller asks for it alone and gets the reason there.
          }
        }),
      );
      return out;
    }
    for (let i = 0; i < uuids.length; i += LIST_REQUEST_UUIDS) {
      const chunk = uuids.slice(i, i + LIST_REQUEST_UUIDS);
      const form = this.labels || this.noSyncForm.has(source.origin) ? 'full' : 'sync';
      const url = source.resolve(listPath(resource, chunk, form));
      let body: string;
      try {
        const res = await this.limiter.run(() =>
          this.http.get(url, { authorization: source.authorization, accept: 'application/json', maxBytes: this.maxBytes * 4, headers: this.headers }),
        );
        if (res.notModified) throw new HttpStatusError(`GET ${redact(url)} answered 304 to a request without If-None-Match`, redact(url), 304);
        body = res.body;
      } catch (err) {
        if (err instanceof HttpStatusError && (err.status === 400 || err.status === 404 || err.status === 405)) {
          // First without the lean form (a publisher that predates it), then one by one.
          if (form === 'sync' && err.status === 400) this.noSyncForm.add(source.origin);
          else this.noBatch.add(source.origin);
          return this.fetchMany(source, resource, uuids);
        }
        throw err;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new InvalidResourceError(`${resource} list: the response is not JSON`, resource, chunk[0]);
      }
      const results = (parsed as { results?: unknown }).results;
      if (!Array.isArray(results)) throw new InvalidResourceError(`${resource} list: the response has no results list`, resource, chunk[0]);
      const wanted = new Set(chunk);
      for (const r of results) {
        const u = typeof r === 'object' && r !== null && typeof (r as { uuid?: unknown }).uuid === 'string' ? (r as { uuid: string }).uuid.toLowerCase() : null;
        if (u && wanted.has(u)) out.set(u, r as Record<string, unknown>);
      }
    }
    return out;
  }
}

/** Reads resource and uuid out of an entry's REST path; null when it is not one of ours. */
export function parseResourcePath(path: string): { resource: string; uuid: string } | null {
  // Not a URL at all ("http://[oops"): no path to read, rather than an error that stops the page.
  if (!URL.canParse(path, 'http://x')) return null;
  const u = new URL(path, 'http://x');
  const m = new RegExp(`^${REST_PATH}/([a-z]+)/([^/]+)$`).exec(u.pathname);
  if (!m || !UUID_PATTERN.test(m[2])) return null;
  return { resource: m[1], uuid: m[2].toLowerCase() };
}
