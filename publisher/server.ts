// The publisher's HTTP application: authentication in front of feeds and resources.
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import compression from 'compression';
import type { Pool } from '../shared/db.ts';
import type { Logger } from '../shared/logger.ts';
import { basicAuth } from './auth.ts';
import type { AuthOptions } from './auth.ts';
import type { EventStore } from './event-store.ts';
import { feedRoutes } from './feed-routes.ts';
import { HttpError } from './http-errors.ts';
import { restRoutes } from './rest-routes.ts';

export interface PublisherAppOptions {
  pool: Pool;
  store: EventStore;
  log: Logger;
  nodeId: string;
  nodeUuid: string;
  emptyUpdated: string;
  pageSize: number;
  auth: AuthOptions;
  publicUrl?: string;
}

export function createPublisherApp(o: PublisherAppOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false); // feed routes compute their own strong ETags
  app.set('query parser', 'simple');
  app.use(compression());
  app.use(basicAuth(o.auth, o.log));
  app.use(feedRoutes(o));
  app.use(restRoutes(o));
  app.use((req: Request) => {
    throw new HttpError(404, 'not_found', `nothing at ${req.path.slice(0, 200)}`);
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof HttpError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Express's own client errors (a malformed URI, say): say so without internals.
      res.status(status).json({ error: { code: 'bad_request', message: 'malformed request' } });
      return;
    }
    o.log.error('request failed', { path: req.path, error: err as Error });
    res.status(500).json({ error: { code: 'internal', message: 'internal error; see the publisher log' } });
  });
  return app;
}
