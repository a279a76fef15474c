// Fetches one resource's representation from the feed's own origin.
import { REST_PATH, UUID_PATTERN } from '../shared/constants.ts';
import type { ResourceName } from '../shared/resources.ts';
import { InvalidResourceError } from './errors.ts';
import type { FeedSource } from './feed-source.ts';
import type { HttpClient } from './http-client.ts';
import type { Limiter } from './limit.ts';

export const MAX_RESOURCE_BYTES = 2 * 1024 * 1024;

export class ResourceFetcher {
  constructor(
    private readonly http: HttpClient,
    private readonly limiter: Limiter,
    private readonly headers: Record<string, string> = {},
    private readonly maxBytes = MAX_RESOURCE_BYTES,
  ) {}

  /** `path` is the entry's content (REST path); without it the canonical path is built from resource and uuid. */
  async fetch(source: FeedSource, resource: ResourceName, uuid: string, path?: string): Promise<Record<string, unknown>> {
    const url = source.resolve(path ?? `${REST_PATH}/${resource}/${uuid}?v=full`);
    const res = await this.limiter.run(() =>
      this.http.get(url, { authorization: source.authorization, accept: 'application/json', maxBytes: this.maxBytes, headers: this.headers }),
    );
    if (res.notModified) throw new Error('unexpected 304 for a resource');
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
}

/** Reads resource and uuid out of an entry's REST path; null when it is not one of ours. */
export function parseResourcePath(path: string): { resource: string; uuid: string } | null {
  const u = new URL(path, 'http://x');
  const m = new RegExp(`^${REST_PATH}/([a-z]+)/([^/]+)$`).exec(u.pathname);
  if (!m || !UUID_PATTERN.test(m[2])) return null;
  return { resource: m[1], uuid: m[2].toLowerCase() };
}
