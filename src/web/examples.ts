import { join } from 'node:path';
import express, { Router } from 'express';
import type { AppConfig } from '../common/config';
import { CSP, PROJECT_ROOT } from './html';

/**
 * The runnable examples, in development only: /examples/dashboard serves examples/dashboard/ as it is
 * (no build step), with the graphql-ws browser client from its npm package, and the pages' stylesheet.
 */
export function examples(config: Pick<AppConfig, 'examples'>): Router {
  const router = Router();
  if (!config.examples) return router;
  const policy: express.RequestHandler = (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CSP.app);
    res.setHeader('Cache-Control', 'no-cache');
    next();
  };
  router.get('/examples/dashboard', (req, res, next) => (req.path.endsWith('/') ? next() : res.redirect(301, '/examples/dashboard/')));
  router.get('/examples/dashboard/graphql-ws.js', policy, (_req, res) => {
    res.sendFile(join(PROJECT_ROOT, 'node_modules/graphql-ws/umd/graphql-ws.min.js'));
  });
  router.use('/examples/dashboard', policy, express.static(join(PROJECT_ROOT, 'examples/dashboard'), { index: 'index.html', redirect: false }));
  return router;
}

/** The stylesheet of the server's own pages (link pages, examples). */
export function pageAssets(): Router {
  const router = Router();
  // browsers ask for it on every page: nothing, rather than a logged 404
  router.get('/favicon.ico', (_req, res) => res.status(204).end());
  router.use('/assets', express.static(join(PROJECT_ROOT, 'web/pages'), { index: false, fallthrough: false, maxAge: '1h' }));
  return router;
}
