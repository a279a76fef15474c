// The status page's conflicts: GET /conflicts (every one, open first), GET /conflicts/{id} (one,
// its two versions side by side) as HTML or JSON, and POST /conflicts/{id}/resolve, whose two
// buttons settle one as `atomsync conflicts resolve --keep kept|other` does (conflicts-store.ts),
// behind the same-origin and form-token checks of the Retry buttons (status-server.ts).
// The log names the conflict, the choice and the admin, never a version: they hold patients' data.
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import type { Pool } from '../shared/db.ts';
import type { Logger } from '../shared/logger.ts';
import { conflictJson, conflictSummary, CONFLICTS_SHOWN, renderConflictList, renderConflictPage } from './conflicts-pages.ts';
import { countConflicts, listConflicts, readConflict, resolveConflict, UnknownResourceError } from './conflicts-store.ts';
import type { Keep } from './conflicts-store.ts';

export interface ConflictRouteOptions {
  db: Pool;
  /** users.user_id recorded as the changer of a version written by "keep the other". */
  userId: number;
  nodeId: string;
  log: Logger;
  /** Refuses a POST from another site, or without this admin's form token. */
  guard: (req: Request, res: Response, next: NextFunction) => void;
  /** This browser session's form token for the page's forms. */
  token: (req: Request, res: Response) => string;
}

const ID = /^[0-9]{1,18}$/;
const wantsJson = (req: Request) => req.accepts(['html', 'json']) === 'json';

export function conflictRoutes(app: express.Express, o: ConflictRouteOptions): void {
  app.get('/conflicts', async (req: Request, res: Response) => {
    const [counts, conflicts] = await Promise.all([countConflicts(o.db), listConflicts(o.db, { order: 'open-first', limit: CONFLICTS_SHOWN })]);
    if (wantsJson(req)) return void res.json({ ...counts, conflicts: conflicts.map(conflictSummary) });
    res.type('html').send(renderConflictList(conflicts, counts, { nodeId: o.nodeId, styleNonce: res.locals.styleNonce as string, now: Date.now() }));
  });

  app.get('/conflicts/:id', async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const c = ID.test(id) ? await readConflict(o.db, Number(id)) : null;
    if (!c) return void res.status(404).type('text').send('no such conflict; see /conflicts\n');
    if (wantsJson(req)) return void res.json(conflictJson(c));
    const asked = req.query.resolved;
    const resolved = asked === 'kept' || asked === 'other' || asked === 'already' ? asked : undefined;
    res.type('html').send(renderConflictPage(c, { nodeId: o.nodeId, styleNonce: res.locals.styleNonce as string, csrfToken: o.token(req, res), resolved }));
  });

  const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 });
  app.post('/conflicts/:id/resolve', form, o.guard, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const keep = req.body?.keep as unknown;
    if (!ID.test(id) || (keep !== 'kept' && keep !== 'other')) {
      return void res.status(400).type('text').send('say which conflict (a number) and which version to keep (keep=kept or keep=other)\n');
    }
    const c = await readConflict(o.db, Number(id));
    if (!c) return void res.status(404).type('text').send('no such conflict; see /conflicts\n');
    let outcome: 'resolved' | 'already';
    try {
      outcome = await resolveConflict(o.db, c, keep as Keep, o.userId);
    } catch (err) {
      if (!(err instanceof UnknownResourceError)) throw err;
      return void res.status(422).type('text').send(`${err.message}; it stays open\n`);
    }
    o.log.info('conflict resolved from the status page', { id: c.id, resource: c.resource, keep, outcome, user: res.locals.user });
    res.redirect(303, `/conflicts/${c.id}?resolved=${outcome === 'already' ? 'already' : keep}`);
  });
}
