// Protocol words shared by publisher and subscriber. Both sides import these,
// so the feed they write and the feed they read cannot drift apart.

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

/** MariaDB session variable a writer sets to name the node a change came from. */
export const ORIGIN_SESSION_VAR = '@atomsync_origin';

/** Named lock that makes the relay a singleton per database. */
export const RELAY_LOCK = 'atomsync_relay';

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
