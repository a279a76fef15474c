// The addresses a feed document names: page URLs, entry ids, REST paths.
// Publisher routes and subscriber crawls build them here, so both agree.
import { ENTRY_ID_PREFIX, FEED_PATH, RECENT, REST_PATH, REST_QUERY } from '../constants.ts';

/**
 * Absolute URL of a feed page: `{baseUrl}/openmrs/ws/atomfeed/{category}/{page|recent}`.
 * `baseUrl` is an origin (optionally with a path prefix); trailing slashes are dropped.
 */
export function feedPageUrl(baseUrl: string, category: string, page: number | typeof RECENT): string {
  return `${trimSlashes(baseUrl)}${FEED_PATH}/${encodeURIComponent(category)}/${page}`;
}

/** REST path of a resource as an entry's content holds it: `/openmrs/ws/rest/v1/{resource}/{uuid}?v=full`. */
export function restPath(resource: string, uuid: string): string {
  return `${REST_PATH}/${encodeURIComponent(resource)}/${encodeURIComponent(uuid)}${REST_QUERY}`;
}

/** Entry id in atomfeed's scheme: `tag:atomfeed.ict4h.org:{eventUuid}`. */
export function entryId(eventUuid: string): string {
  return ENTRY_ID_PREFIX + eventUuid;
}

/** The event uuid inside an atomfeed-style entry id, or undefined for any other id. */
export function eventUuidOf(id: string): string | undefined {
  return id.startsWith(ENTRY_ID_PREFIX) && id.length > ENTRY_ID_PREFIX.length ? id.slice(ENTRY_ID_PREFIX.length) : undefined;
}

export function trimSlashes(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '');
}
