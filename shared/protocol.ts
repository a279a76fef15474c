// The list request, as both sides know it: `GET {REST_PATH}/{resource}?v={form}&uuids=a,b,c`
// answers the current state of several resources of one kind as `{"results": [...]}`
// (SPEC.md, "REST"). The publisher refuses a longer list than MAX_LIST_UUIDS; the subscriber
// builds its requests with listPath.
import { REST_PATH } from './constants.ts';

/** Most resources (distinct uuids) one list request may name; the publisher answers more with 400. */
export const MAX_LIST_UUIDS = 200;

/** Path and query of a list request for these uuids of one resource, in representation `form` (`sync`, `full`...). */
export function listPath(resource: string, uuids: readonly string[], form: string): string {
  return `${REST_PATH}/${resource}?v=${form}&uuids=${uuids.join(',')}`;
}
