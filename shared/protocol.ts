// The protocol, in one place: the words, limits and addresses of the feed and the REST
// resources that the publisher writes and the subscriber reads (SPEC.md). Both sides import
// them from here, so what one writes and the other reads cannot drift apart.

/** Path prefixes, identical to the ICT4H atomfeed server and OpenMRS REST. */
export const FEED_PATH = '/openmrs/ws/atomfeed';
export const REST_PATH = '/openmrs/ws/rest/v1';

/** Feed holding every category in one sequence. */
export const ALL_CATEGORY = 'all';
/** Path segment of the subscription document (the working page). */
export const RECENT = 'recent';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

/** Content type of an entry's content: the REST path of the changed resource. */
export const ATOMFEED_CONTENT_TYPE = 'application/vnd.atomfeed+xml';
export const ATOM_MEDIA_TYPE = 'application/atom+xml';

/** Entry ids keep atomfeed's scheme so Bahmni clients recognise them. */
export const ENTRY_ID_PREFIX = 'tag:atomfeed.ict4h.org:';

export const ATOM_NS = 'http://www.w3.org/2005/Atom';
/** RFC 5005 feed history namespace (fh:archive). */
export const FH_NS = 'http://purl.org/syndication/history/1.0';
/** atomsync's own extension elements: sync:seq, sync:position, sync:origin. */
export const SYNC_NS = 'urn:atomsync:feed:1';

/** Link relations used on feed documents (RFC 4287, RFC 5005, atomfeed). */
export const Rel = {
  self: 'self',
  via: 'via',
  current: 'current',
  prevArchive: 'prev-archive',
  nextArchive: 'next-archive',
  alternate: 'alternate',
} as const;

/** What happened to a resource. The first category of an entry names the resource, the second the action. */
export const Actions = ['CREATED', 'UPDATED', 'VOIDED', 'UNVOIDED', 'RETIRED', 'DELETED'] as const;
export type Action = (typeof Actions)[number];

/**
 * Cache policy. Complete archive pages never change (RFC 5005), so they may be cached for a year,
 * immutably. But every page needs a login and names patients' records: only the reader's own cache
 * (a browser, a subscriber) may keep one, never a shared proxy, hence `private` on everything.
 */
export const ARCHIVE_CACHE_CONTROL = 'private, max-age=31536000, immutable';
export const RECENT_MAX_AGE_S = 2;
export const RECENT_CACHE_CONTROL = `private, max-age=${RECENT_MAX_AGE_S}`;
/** Everything else (errors, refusals, /metrics): kept by no cache at all. */
export const NO_STORE_CACHE_CONTROL = 'no-store';

/** A node id appears in URLs, categories and SQL literals: keep it plain. */
export const NODE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/i;
/**
 * What OpenMRS keeps in its `char(38)` uuid columns: RFC 4122 uuids, but also CIEL's concept
 * uuids ('5089AAAAAAAAAAAAAAAAAAAAAAAAAAAA', 32 characters; '1000AAAA…', 36 without dashes),
 * in any case. Refused only: empty, longer than 38, or a character other than a letter, digit or '-'
 * (which also keeps every uuid safe in a URL path, a `uuids=` list and an XML attribute).
 */
export const UUID_PATTERN = /^[A-Za-z0-9-]{1,38}$/;

/** XML prefixes declared on every feed document for FH_NS and SYNC_NS. */
export const FH_PREFIX = 'fh';
export const SYNC_PREFIX = 'sync';
/** Local names of atomsync's per-entry extension elements (namespace SYNC_NS). */
export const SyncElement = { seq: 'seq', position: 'position', origin: 'origin' } as const;
/** Query on every entry's REST path: the full representation, as atomfeed's OpenMRS module links it. */
export const REST_QUERY = '?v=full';
/** atom:generator of every document. No version in it: complete pages must not change when atomsync is upgraded. */
export const FEED_GENERATOR = 'atomsync';
/** Largest feed document a subscriber will parse, in bytes of UTF-8. */
export const MAX_FEED_BYTES = 5 * 1024 * 1024;
/** Request header a subscriber names itself with (its node id), so a publisher can show how far each one has read. */
export const SUBSCRIBER_HEADER = 'x-atomsync-subscriber';

// The addresses a feed document names: page URLs, entry ids, REST paths.
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

// The list request, as both sides know it: `GET {REST_PATH}/{resource}?v={form}&uuids=a,b,c`
// answers the current state of several resources of one kind as `{"results": [...]}`
// (SPEC.md, "REST"). The publisher refuses a longer list than MAX_LIST_UUIDS; the subscriber
// builds its requests with listPath.

/** Most resources (distinct uuids) one list request may name; the publisher answers more with 400. */
export const MAX_LIST_UUIDS = 200;

/** Path and query of a list request for these uuids of one resource, in representation `form` (`sync`, `full`...). */
export function listPath(resource: string, uuids: readonly string[], form: string): string {
  return `${REST_PATH}/${resource}?v=${form}&uuids=${uuids.join(',')}`;
}

// Long polling of a feed's `recent` page (SPEC.md, "Long polling"). A subscriber that sends this
// header with If-None-Match asks the publisher to hold the request, for at most that many seconds,
// until the feed has a new event. The publisher's answer carries the header too: the seconds it
// was prepared to wait, 0 when it answered at once because it could not hold the request (so a
// client polls again after its usual interval, not at once). Without the header nothing changes.
export const LONG_POLL_HEADER = 'x-atomsync-wait';
/** Longest a publisher holds a request, whatever is asked (seconds). */
export const LONG_POLL_MAX_S = 30;
/** What a subscriber asks for by default (seconds): an idle feed costs one request per 20 s. */
export const LONG_POLL_DEFAULT_S = 20;

// A catchment's feed (SPEC.md, "Catchments"): the category `catchment~` and the catchment's
// location uuids, `~`-separated (characters a path segment keeps as they are). A child names
// its locations; the parent serves what concerns them, on pages of positions of their own.
export const CATCHMENT_PREFIX = 'catchment~';
/** Locations one catchment may name (a district names its facilities; the URL stays short). */
export const MAX_CATCHMENT_LOCATIONS = 50;

/** The feed category of a set of locations: the same whatever their order or case. */
export function catchmentCategory(locationUuids: readonly string[]): string {
  return CATCHMENT_PREFIX + [...new Set(locationUuids.map((u) => u.trim().toLowerCase()).filter(Boolean))].sort().join('~');
}

/** The location uuids a catchment category names; null when it is not one (no uuid, too many, or one that is no uuid). */
export function catchmentLocations(category: string): string[] | null {
  if (!category.startsWith(CATCHMENT_PREFIX)) return null;
  const uuids = category.slice(CATCHMENT_PREFIX.length).split('~').filter(Boolean);
  const ok = uuids.length > 0 && uuids.length <= MAX_CATCHMENT_LOCATIONS && uuids.every((u) => UUID_PATTERN.test(u));
  return ok ? uuids : null;
}

// Origin of a state (SPEC.md): atomsync's representations (`v=sync`, and the labelled `full` an
// atomsync subscriber gets) carry the node where the state served was made. An entry names the
// node whose change it announces, but a subscriber fetches the state as it is now, which a node
// in the middle of a tree may have from another node since: that state's lineage is this field's.
export const ORIGIN_FIELD = 'atomsyncOrigin';
