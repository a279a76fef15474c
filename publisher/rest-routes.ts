// GET {REST_PATH}/{resource}/{uuid}?v=full: a resource in OpenMRS's JSON representation,
// or, for a browser, an HTML page showing that JSON pretty-printed. `v=sync` leaves out
// display labels and links (shared/representation.ts RepresentationForm).
import { Router } from 'express';
import type { Request, Response } from 'express';
import { REST_PATH, UUID_PATTERN } from '../shared/constants.ts';
import type { Pool } from '../shared/db.ts';
import { DECLARED_REGISTRY } from '../shared/registry.ts';
import type { Registry } from '../shared/registry.ts';
import { isResourceName } from '../shared/resources.ts';
import type { ResourceName } from '../shared/resources.ts';
import { baseUrlOf } from './feed-routes.ts';
import { renderResourceHtml } from './admin-pages.ts';
import { badRequest, notFound } from './http-errors.ts';
import { HTML_MEDIA_TYPE, NEGOTIATED_VARY, wantsHtml } from './negotiate.ts';
import { loadRepresentation, loadRepresentations } from '../shared/representation.ts';
import { forbidden, mayReadResource, rightsIn } from './rights.ts';
import type { RepresentationForm } from '../shared/representation.ts';

/** Most resources one list request may ask for. */
export const MAX_BATCH_UUIDS = 200;

/** `v`: OpenMRS's `full` (and `default`, answered with full), or atomsync's `sync` (no labels, no links). */
function formOf(req: Request): RepresentationForm {
  const v = req.query.v;
  if (v === undefined || v === 'full' || v === 'default') return 'full';
  if (v === 'sync') return 'sync';
  throw badRequest('v must be "full", "default" or "sync"');
}

export function restRoutes(o: { pool: Pool; nodeId: string; publicUrl?: string; registry?: Registry }): Router {
  const router = Router();
  // The resources as this database holds them: a column it lacks shows as null, never a 500.
  const registry = o.registry ?? DECLARED_REGISTRY;
  /** The resource the path names, if it exists and this reader may read it (a list and its items alike). */
  const resourceNamed = (name: string, res: Response): ResourceName => {
    if (!isResourceName(name) || !registry.has(name)) throw notFound(`no resource named "${name.slice(0, 64)}"`);
    if (!mayReadResource(rightsIn(res), name)) throw forbidden(`user "${res.locals.user}" may not read ${name}`);
    return name;
  };
  // No ETag here (resources change in place), so the two variants only need Vary to stay apart.
  const send = async (req: Request, res: Response, resource: string, uuid: string | undefined, json: unknown) => {
    res.set('Cache-Control', 'private, no-cache');
    res.set('Vary', NEGOTIATED_VARY);
    if (!wantsHtml(req, 'application/json')) return void res.json(json);
    const baseUrl = baseUrlOf(req, o.publicUrl);
    res.type(HTML_MEDIA_TYPE).send(await renderResourceHtml({ nodeId: o.nodeId, baseUrl, resource, uuid, json }));
  };
  // GET {REST_PATH}/{resource}?uuids=a,b,c&v=full: several resources in one request, as
  // OpenMRS lists answer ({results: [...]}). Unknown uuids are left out, not errors: the
  // subscriber asks for each missing one on its own and gets its 404 there.
  router.get(`${REST_PATH}/:resource`, async (req: Request, res: Response) => {
    const resource = resourceNamed(String(req.params.resource), res);
    const raw = req.query.uuids;
    if (typeof raw !== 'string' || raw === '') throw badRequest('list requests need uuids=uuid1,uuid2,...');
    const uuids = [...new Set(raw.split(',').map((u) => u.trim().toLowerCase()))];
    if (uuids.length > MAX_BATCH_UUIDS) throw badRequest(`at most ${MAX_BATCH_UUIDS} uuids per request`);
    const bad = uuids.find((u) => !UUID_PATTERN.test(u));
    if (bad !== undefined) throw badRequest(`"${bad.slice(0, 64)}" is not a uuid`);
    const reps = await loadRepresentations(o.pool, registry.def(resource), uuids, baseUrlOf(req, o.publicUrl), formOf(req));
    await send(req, res, resource, undefined, { results: uuids.map((u) => reps.get(u)).filter(Boolean) });
  });
  router.get(`${REST_PATH}/:resource/:uuid`, async (req: Request, res: Response) => {
    const resource = resourceNamed(String(req.params.resource), res);
    const uuid = String(req.params.uuid);
    if (!UUID_PATTERN.test(uuid)) throw badRequest(`"${uuid.slice(0, 64)}" is not a uuid`);
    const rep = await loadRepresentation(o.pool, registry.def(resource), uuid.toLowerCase(), baseUrlOf(req, o.publicUrl), formOf(req));
    if (!rep) throw notFound(`no ${resource} with uuid ${uuid}`);
    await send(req, res, resource, uuid.toLowerCase(), rep);
  });
  return router;
}
