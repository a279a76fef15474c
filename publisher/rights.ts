// What each reader may read: the feeds and REST resources of some resources, and whether it
// may see the admin pages (the root page and /metrics). Configured per user with
// --user-rights NAME=RIGHT,...; a user not named there has every right, as before rights existed.
import type { Response } from 'express';
import { ALL_CATEGORY, CATCHMENT_PREFIX, catchmentCategory, catchmentLocations } from '../shared/protocol.ts';
import { RESOURCE_NAMES, isResourceName } from '../shared/resources.ts';
import type { ResourceName } from '../shared/resources.ts';
import { HttpError } from './http-errors.ts';

export interface Rights {
  /** Resources whose feed and REST representations the user may read. */
  readonly resources: ReadonlySet<ResourceName>;
  /** The root page with every feed and subscriber, `{FEED_PATH}`, and `/metrics`. */
  readonly admin: boolean;
  /**
   * A reader confined to catchments (a child node): the feeds of these catchments (their
   * categories, catchmentCategory) and the resources in them, nothing else.
   */
  readonly catchments?: ReadonlySet<string>;
}

/** user name -> rights; a user not in it has EVERY_RIGHT. */
export type RightsTable = ReadonlyMap<string, Rights>;

export const EVERY_RIGHT: Rights = { resources: new Set(RESOURCE_NAMES), admin: true };

/** Rights words besides the resource names. */
export const RIGHT_WORDS = {
  /** Every resource, so also the `all` feed. */
  all: 'all',
  admin: 'admin',
} as const;

/**
 * Parses `--user-rights` entries, each `name=right,right,...`: a resource name, `all` (every
 * resource, and so the `all` feed), `admin`, or a catchment (`catchment~{location uuid}~...`,
 * alone: a reader of catchments reads nothing else). Every name must be one of `users`, and named once.
 */
export function parseUserRights(entries: readonly string[], users: Iterable<string>): Map<string, Rights> {
  const known = new Set(users);
  const table = new Map<string, Rights>();
  for (const entry of entries.map((e) => e.trim()).filter(Boolean)) {
    const eq = entry.lastIndexOf('=');
    const name = entry.slice(0, Math.max(0, eq));
    if (eq <= 0) throw new Error(`--user-rights entry "${entry.slice(0, 64)}" must be name=right,... (rights: resource names, ${RIGHT_WORDS.all}, ${RIGHT_WORDS.admin})`);
    if (!known.has(name)) throw new Error(`--user-rights names "${name.slice(0, 64)}", which is not one of --users`);
    if (table.has(name)) throw new Error(`--user-rights names "${name.slice(0, 64)}" twice; give all its rights in one entry`);
    const words = entry.slice(eq + 1).split(',').map((w) => w.trim()).filter(Boolean);
    if (words.length === 0) throw new Error(`--user-rights gives "${name.slice(0, 64)}" no rights; leave it out of --users instead`);
    const catchments = words.filter((w) => w.startsWith(CATCHMENT_PREFIX));
    if (catchments.length > 0) {
      if (catchments.length !== words.length) {
        throw new Error(`--user-rights gives "${name.slice(0, 64)}" a catchment and other rights; a catchment's reader reads only its catchments`);
      }
      table.set(name, { resources: new Set(RESOURCE_NAMES), admin: false, catchments: new Set(catchments.map(catchmentRight)) });
      continue;
    }
    const resources = new Set<ResourceName>();
    let admin = false;
    for (const w of words) {
      if (w === RIGHT_WORDS.all) RESOURCE_NAMES.forEach((r) => resources.add(r));
      else if (w === RIGHT_WORDS.admin) admin = true;
      else if (isResourceName(w)) resources.add(w);
      else throw new Error(`--user-rights: "${w.slice(0, 64)}" is not a right; use resource names (${RESOURCE_NAMES.join(', ')}), ${RIGHT_WORDS.all} or ${RIGHT_WORDS.admin}`);
    }
    table.set(name, { resources, admin });
  }
  return table;
}

export function rightsOf(table: RightsTable | undefined, user: string): Rights {
  return table?.get(user) ?? EVERY_RIGHT;
}

export function hasEveryRight(r: Rights): boolean {
  return r.admin && RESOURCE_NAMES.every((n) => r.resources.has(n));
}

/** A catchment right's category, checked and in its one canonical form. */
function catchmentRight(word: string): string {
  const uuids = catchmentLocations(word);
  if (!uuids) {
    throw new Error(`--user-rights: "${word.slice(0, 80)}" is not a catchment; write ${CATCHMENT_PREFIX}{location uuid}~{location uuid}...`);
  }
  return catchmentCategory(uuids);
}

/** A catchment's feed: for a reader confined to it, or for a reader of everything. */
export function mayReadCatchment(r: Rights, category: string): boolean {
  if (r.catchments) return r.catchments.has(category);
  return mayReadFeed(r, ALL_CATEGORY);
}

/** `all` holds every resource's events, so only a reader of every resource may read it. A catchment's reader reads no other feed. */
export function mayReadFeed(r: Rights, category: string): boolean {
  if (r.catchments) return false;
  if (category === ALL_CATEGORY) return RESOURCE_NAMES.every((n) => r.resources.has(n));
  return isResourceName(category) && r.resources.has(category);
}

export function mayReadResource(r: Rights, resource: ResourceName): boolean {
  return r.resources.has(resource);
}

/** The rights authentication found (auth.ts requireAuth). A route reached without them is a wiring mistake: refuse rather than guess. */
export function rightsIn(res: Response): Rights {
  const r = res.locals.rights as Rights | undefined;
  if (!r) throw new Error('no rights attached to this request (requireAuth must run before the routes)');
  return r;
}

export const forbidden = (message: string) => new HttpError(403, 'forbidden', message);
