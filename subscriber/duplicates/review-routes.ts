// The status page's duplicate patients: GET /duplicates (the pairs, open first), GET
// /duplicates/{id} (one pair, the two records side by side) as HTML or JSON, POST
// /duplicates/{id}/reject ("not the same person") and, when merging is wired in, POST
// /duplicates/{id}/merge (keep=<uuid>), behind the same-origin and form-token checks of the other
// buttons (status-server.ts). The log names the pair, the action and the admin, never a patient's
// name or identifier.
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { queryRows } from '../../shared/db.ts';
import type { Pool } from '../../shared/db.ts';
import type { Logger } from '../../shared/logger.ts';
import { readPatientDetails } from './patient-details.ts';
import { PAIRS_SHOWN, renderPairList, renderPairPage } from './review-pages.ts';
import { countByStatus, listCandidates, readCandidate, rejectCandidate } from './store.ts';

export interface DuplicateRouteOptions {
  db: Pool;
  nodeId: string;
  log: Logger;
  guard: (req: Request, res: Response, next: NextFunction) => void;
  token: (req: Request, res: Response) => string;
  /** Merges `drop` into `keep` (and marks the pair merged); absent: the page offers no merge. */
  merge?: (pairId: number, keep: string, drop: string) => Promise<void>;
}

const ID = /^[0-9]{1,18}$/;
const wantsJson = (req: Request) => req.accepts(['html', 'json']) === 'json';
const DONE: Record<string, string> = {
  rejected: 'Marked not the same person: this pair will not be proposed again.',
  merged: 'Merged. The changes are published to every node that reads this one.',
  already: 'This pair was decided already; nothing was done.',
};

export function duplicateRoutes(app: express.Express, o: DuplicateRouteOptions): void {
  const ready = async (res: Response) => {
    const [{ n }] = await queryRows<{ n: number }>(o.db, "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'atomsync_duplicate'");
    if (Number(n) === 0) res.status(404).type('text').send('this database has no atomsync_duplicate table: run atomsync migrate\n');
    return Number(n) > 0;
  };
  app.get('/duplicates', async (req: Request, res: Response) => {
    if (!(await ready(res))) return;
    const [counts, pairs] = await Promise.all([countByStatus(o.db), listCandidates(o.db, { status: 'all', limit: PAIRS_SHOWN })]);
    if (wantsJson(req)) return void res.json({ counts, pairs });
    res.type('html').send(renderPairList(pairs, counts, { nodeId: o.nodeId, styleNonce: res.locals.styleNonce as string, now: Date.now() }));
  });

  app.get('/duplicates/:id', async (req: Request, res: Response) => {
    if (!(await ready(res))) return;
    const id = String(req.params.id);
    const c = ID.test(id) ? await readCandidate(o.db, Number(id)) : null;
    if (!c) return void res.status(404).type('text').send('no such pair; see /duplicates\n');
    const [a, b] = await Promise.all([readPatientDetails(o.db, c.patientA), readPatientDetails(o.db, c.patientB)]);
    if (wantsJson(req)) return void res.json({ pair: c, a, b });
    const done = typeof req.query.done === 'string' ? DONE[req.query.done] : undefined;
    res.type('html').send(renderPairPage(c, a, b, { nodeId: o.nodeId, styleNonce: res.locals.styleNonce as string, csrfToken: o.token(req, res), canMerge: Boolean(o.merge), done }));
  });

  const form = express.urlencoded({ extended: false, limit: '2kb', parameterLimit: 10 });
  app.post('/duplicates/:id/reject', form, o.guard, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    if (!ID.test(id)) return void res.status(400).type('text').send('say which pair (a number)\n');
    const c = await readCandidate(o.db, Number(id));
    if (!c) return void res.status(404).type('text').send('no such pair; see /duplicates\n');
    const done = (await rejectCandidate(o.db, c.id)) ? 'rejected' : 'already';
    o.log.info('duplicate pair decided from the status page', { id: c.id, action: 'reject', outcome: done, user: res.locals.user });
    res.redirect(303, `/duplicates/${c.id}?done=${done}`);
  });

  app.post('/duplicates/:id/merge', form, o.guard, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    const keep = String(req.body?.keep ?? '');
    if (!o.merge) return void res.status(404).type('text').send('merging is not available here\n');
    const c = ID.test(id) ? await readCandidate(o.db, Number(id)) : null;
    if (!c) return void res.status(404).type('text').send('no such pair; see /duplicates\n');
    if (keep !== c.patientA && keep !== c.patientB) return void res.status(400).type('text').send('say which patient to keep: keep=<uuid of patient A or B>\n');
    if (c.status !== 'open') return void res.redirect(303, `/duplicates/${c.id}?done=already`);
    try {
      await o.merge(c.id, keep, keep === c.patientA ? c.patientB : c.patientA);
    } catch (err) {
      // A refusal (an active order of the same type on both, a patient voided since): said, nothing changed.
      if ((err as Error).name !== 'MergeRefused') throw err;
      return void res.status(422).type('text').send(`not merged: ${(err as Error).message}\n`);
    }
    o.log.info('duplicate pair decided from the status page', { id: c.id, action: 'merge', user: res.locals.user });
    res.redirect(303, `/duplicates/${c.id}?done=merged`);
  });
}
