// GET {REST_PATH}/{resource}/{uuid}?v=full: a resource in OpenMRS's JSON representation.
import { Router } from 'express';
import type { Request, Response } from 'express';
import { REST_PATH, UUID_PATTERN } from '../shared/constants.ts';
import type { Pool } from '../shared/db.ts';
import { isResourceName, resourceDef } from '../shared/resources.ts';
import { baseUrlOf } from './feed-routes.ts';
import { badRequest, notFound } from './http-errors.ts';
import { loadRepresentation } from '../shared/representation.ts';

export function restRoutes(o: { pool: Pool; publicUrl?: string }): Router {
  const router = Router();
  router.get(`${REST_PATH}/:resource/:uuid`, async (req: Request, res: Response) => {
    const resource = String(req.params.resource);
    const uuid = String(req.params.uuid);
    if (!isResourceName(resource)) throw notFound(`no resource named "${resource.slice(0, 64)}"`);
    if (!UUID_PATTERN.test(uuid)) throw badRequest(`"${uuid.slice(0, 64)}" is not a uuid`);
    const v = req.query.v;
    if (v !== undefined && v !== 'full' && v !== 'default') throw badRequest('v must be "full" or "default"');
    const rep = await loadRepresentation(o.pool, resourceDef(resource), uuid.toLowerCase(), baseUrlOf(req, o.publicUrl));
    if (!rep) throw notFound(`no ${resource} with uuid ${uuid}`);
    res.set('Cache-Control', 'private, no-cache');
    res.json(rep);
  });
  return router;
}
