// The list request, as both sides know it: `GET {REST_PATH}/{resource}?v={form}&uuids=a,b,c`
// answers the current state of several resources of one kind as `{"results": [...]}`
// (SPEC.md, "REST"). The publisher refuses a longer list than MAX_LIST_UUIDS; the subscriber
// builds its requests with listPath.
import { REST_PATH, UUID_PATTERN } from './constants.ts';

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
