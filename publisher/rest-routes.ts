// GET {REST_PATH}/{resource}/{uuid}?v=...: a resource in OpenMRS's JSON representation
// (`ref`, `default`, `full`, `custom:(...)`, openmrs-rest/), or, for a browser, an
// HTML page showing that JSON pretty-printed. `v=sync` is atomsync's lean form, and an
// atomsync subscriber (it sends x-atomsync-subscriber) asking for `full` or `default` gets
// the registry's labelled form it has always been served (shared/representation.ts).
import { Router } from 'express';
import type { Request, Response } from 'express';
import { MAX_LIST_UUIDS, REST_PATH, SUBSCRIBER_HEADER, UUID_PATTERN } from '../shared/protocol.ts';
import type { Pool } from '../shared/db.ts';
import { DECLARED_REGISTRY } from '../shared/registry.ts';
import type { Registry } from '../shared/registry.ts';
import { isResourceName } from '../shared/resources.ts';
import type { ResourceName } from '../shared/resources.ts';
import { baseUrlOf } from './feed-routes.ts';
import { renderResourceHtml } from './admin-pages.ts';
import { badRequest, notFound } from './http-errors.ts';
import { HTML_MEDIA_TYPE, NEGOTIATED_VARY, wantsHtml } from '../shared/web/negotiate.ts';
import { loadRepresentations } from '../shared/representation.ts';
import { forbidden, mayReadResource, rightsIn } from './rights.ts';
import type { RepresentationForm } from '../shared/representation.ts';
import { uuidsInCatchments } from './catchments/router.ts';
import { representationsWithOrigins } from './state-origins.ts';
import { RepresentationSpecError, UnknownPropertyError, loadOpenmrsRepresentations, servesOpenmrs } from './openmrs-rest/serve.ts';

/**
 * Which form answers a request: atomsync's `sync`; the registry's labelled form (`full` of
 * shared/representation.ts) for an
 * atomsync subscriber asking for `full` or `default` (deployed subscribers read it into rows, and
 * OpenMRS's shapes would lose fields they store); otherwise OpenMRS's representation named by `v`.
 */
function formOf(req: Request): { form: RepresentationForm } | { openmrs: string | undefined } {
  const v = req.query.v;
  if (v !== undefined && typeof v !== 'string') throw badRequest('give v once');
  if (v === 'sync') return { form: 'sync' };
  if (req.get(SUBSCRIBER_HEADER) && (v === undefined || v === 'full' || v === 'default')) return { form: 'full' };
  return { openmrs: v };
}

/** `v` values a resource without an OpenMRS table yet is answered with, in the registry's labelled form. */
const LABELLED_FALLBACK = new Set([undefined, 'full', 'default']);

/** Variants differ by content type, encoding, and whether an atomsync subscriber asked. */
const REST_VARY = `${NEGOTIATED_VARY}, ${SUBSCRIBER_HEADER}`;

interface RestRouteOptions {
  pool: Pool;
  nodeId: string;
  publicUrl?: string;
  registry?: Registry;
}

export function restRoutes(o: RestRouteOptions): Router {
  const router = Router();
  // The resources as this database holds them: a column it lacks shows as null, never a 500.
  const registry = o.registry ?? DECLARED_REGISTRY;
  const source = { ...o, registry };
  /** The resource the path names, if it exists and this reader may read it (a list and its items alike). */
  const resourceNamed = (name: string, res: Response): ResourceName => {
    if (!isResourceName(name) || !registry.has(name)) throw notFound(`no resource named "${name.slice(0, 64)}"`);
    if (!mayReadResource(rightsIn(res), name)) throw forbidden(`user "${res.locals.user}" may not read ${name}`);
    return name;
  };
  // No ETag here (resources change in place), so the two variants only need Vary to stay apart.
  const send = async (req: Request, res: Response, resource: string, uuid: string | undefined, json: unknown) => {
    res.set('Cache-Control', 'private, no-cache');
    res.set('Vary', REST_VARY);
    if (!wantsHtml(req, 'application/json')) return void res.json(json);
    const baseUrl = baseUrlOf(req, o.publicUrl);
    res.type(HTML_MEDIA_TYPE).send(await renderResourceHtml({ nodeId: o.nodeId, baseUrl, resource, uuid, json }));
  };
  // GET {REST_PATH}/{resource}?uuids=a,b,c&v=full: several resources in one request, as
  // OpenMRS lists answer ({results: [...]}). Unknown uuids are left out, not errors: the
  // subscriber asks for each missing one on its own and gets its 404 there.
  router.get(`${REST_PATH}/:resource`, async (req: Request, res: Response) => {
    const resource = resourceNamed(String(req.params.resource), res);
    const uuids = uuidsListed(req);
    const reps = await representationsFor(source, req, res, resource, uuids);
    await send(req, res, resource, undefined, { results: uuids.map((u) => reps.get(u)).filter(Boolean) });
  });
  router.get(`${REST_PATH}/:resource/:uuid`, async (req: Request, res: Response) => {
    const resource = resourceNamed(String(req.params.resource), res);
    const uuid = String(req.params.uuid);
    if (!UUID_PATTERN.test(uuid)) throw badRequest(`"${uuid.slice(0, 64)}" is not a uuid`);
    const rep = (await representationsFor(source, req, res, resource, [uuid.toLowerCase()])).get(uuid.toLowerCase());
    if (!rep) throw notFound(`no ${resource} with uuid ${uuid}`);
    await send(req, res, resource, uuid.toLowerCase(), rep);
  });
  return router;
}

/** The uuids of a list request (?uuids=a,b,c), each once, in lower case. */
function uuidsListed(req: Request): string[] {
  const raw = req.query.uuids;
  if (typeof raw !== 'string' || raw === '') throw badRequest('list requests need uuids=uuid1,uuid2,...');
  const uuids = [...new Set(raw.split(',').map((u) => u.trim().toLowerCase()))];
  if (uuids.length > MAX_LIST_UUIDS) throw badRequest(`at most ${MAX_LIST_UUIDS} uuids per request`);
  const bad = uuids.find((u) => !UUID_PATTERN.test(u));
  if (bad !== undefined) throw badRequest(`"${bad.slice(0, 64)}" is not a uuid`);
  return uuids;
}

/** Representations of these uuids in the form the request asks for. */
async function representationsFor(
  o: RestRouteOptions & { registry: Registry },
  req: Request,
  res: Response,
  resource: ResourceName,
  uuids: string[],
): Promise<Map<string, Record<string, unknown>>> {
  const { registry } = o;
  // A reader confined to catchments gets only what their logs name; anything else is as unknown.
  const confined = rightsIn(res).catchments;
  if (confined) {
    const inside = await uuidsInCatchments(o.pool, confined, resource, uuids);
    uuids = uuids.filter((u) => inside.has(u.toLowerCase()));
    if (uuids.length === 0) return new Map();
  }
  const baseUrl = baseUrlOf(req, o.publicUrl);
  const f = formOf(req);
  if ('form' in f) {
    // atomsync's forms say where each state was made (SPEC.md, "Origin of a state"): the node
    // whose change is the latest this node has of it, as a subscriber in a tree must know.
    return representationsWithOrigins(o.pool, registry.def(resource), uuids, baseUrl, f.form, o.nodeId);
  }
  if (!servesOpenmrs({ pool: o.pool, registry }, resource)) {
    // A resource the registry gained before its OpenMRS table (openmrs-rest/tables.ts).
    if (!LABELLED_FALLBACK.has(f.openmrs)) throw badRequest(`${resource} is served as v=full or v=sync only`);
    return loadRepresentations(o.pool, registry.def(resource), uuids, baseUrl, 'full');
  }
  const rights = rightsIn(res);
  const mayRead = (r: string) => isResourceName(r) && mayReadResource(rights, r);
  try {
    return (await loadOpenmrsRepresentations({ pool: o.pool, registry, baseUrl, mayRead, now: new Date() }, resource, uuids, f.openmrs)).reps;
  } catch (err) {
    if (err instanceof RepresentationSpecError || err instanceof UnknownPropertyError) throw badRequest(err.message);
    throw err;
  }
}
