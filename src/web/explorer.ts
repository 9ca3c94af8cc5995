import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express, { type Request, Router } from 'express';
import { type AppConfig, ConfigError } from '../common/config';
import { requestIdOf } from '../pipeline/http';
import { CSP, documentOf, html, PROJECT_ROOT, sendHtml } from './html';

/**
 * The explorer on GET /graphql in a browser, by EXPLORER:
 * - `sandbox`: Apollo Sandbox (Apollo's landing page; its code comes from Apollo's CDN);
 * - `graphiql`: GraphiQL from this server's own files (dist/web/graphiql, bundled by scripts/build-web.ts),
 *   for machines without internet;
 * - `off`: none (the production default): a browser's GET without a query is a 400 that says so (`noExplorer`).
 */

export const GRAPHIQL_DIR = join(PROJECT_ROOT, 'dist/web/graphiql');
const ASSETS = '/explorer';

/** A browser asking for the explorer page: GET on the GraphQL path, HTML first, no operation in the query string. */
export function isExplorerRequest(req: Request, graphqlPath: string): boolean {
  return req.method === 'GET' && req.path === graphqlPath && req.accepts(['application/json', 'text/html']) === 'text/html' && !req.query.query;
}

/** Apollo's landing page: Sandbox, or none (GraphiQL is served by `graphiql()` before Apollo sees the request). */
export function landingPage(config: Pick<AppConfig, 'explorer'>): ApolloServerPlugin {
  return config.explorer === 'sandbox'
    ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
    : ApolloServerPluginLandingPageDisabled();
}

/** With EXPLORER=graphiql: the page on the GraphQL path and its two bundled files under /explorer. */
export function graphiql(config: Pick<AppConfig, 'explorer'>, graphqlPath: string): Router {
  const router = Router();
  if (config.explorer !== 'graphiql') return router;
  if (!existsSync(join(GRAPHIQL_DIR, 'graphiql.js'))) {
    throw new ConfigError('EXPLORER', `is graphiql, but its bundle is missing in ${GRAPHIQL_DIR}: run npm run build`);
  }
  const page = documentOf({
    title: 'GraphiQL · partner center',
    stylesheets: [`${ASSETS}/graphiql.css`],
    scripts: [`${ASSETS}/graphiql.js`],
    bodyAttributes: html` style="margin:0;height:100vh"`,
    body: html`<div id="graphiql" data-endpoint="${graphqlPath}" style="height:100vh"><noscript>GraphiQL needs JavaScript.</noscript></div>`,
  });
  router.get(graphqlPath, (req, res, next) => (isExplorerRequest(req, graphqlPath) ? sendHtml(res, 200, CSP.app, page) : next()));
  router.use(ASSETS, express.static(GRAPHIQL_DIR, { index: false, fallthrough: false, maxAge: '1h' }));
  return router;
}

/**
 * With EXPLORER=off: a browser asking for the explorer page gets a 400 in JSON, as every refusal of the
 * API, that says what to send instead. Left to Apollo (whose CSRF prevention, which refused such a GET
 * with a 400, is off: README, "Default transports and CSRF"), the answer would depend on the Accept
 * header: a 400 about a missing query when the browser also accepts any type, a 406 ("an 'accept'
 * header … which does not accept application/json") when it asks for HTML only, which tells neither.
 */
export function noExplorer(config: Pick<AppConfig, 'explorer'>, graphqlPath: string): Router {
  const router = Router();
  if (config.explorer !== 'off') return router;
  router.get(graphqlPath, (req, res, next) => {
    if (!isExplorerRequest(req, graphqlPath)) return next();
    const message = `This server serves no explorer page (EXPLORER=off). Send a GraphQL operation: POST ${graphqlPath} with JSON, or a query by GET ${graphqlPath}?query=…`;
    res
      .status(400)
      .type('application/json')
      .send(JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST', requestId: requestIdOf(req) } }] }));
  });
  return router;
}
