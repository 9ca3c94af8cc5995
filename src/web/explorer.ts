import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import express, { type Request, Router } from 'express';
import { type AppConfig, ConfigError } from '../common/config';
import { CSP, documentOf, html, PROJECT_ROOT, sendHtml } from './html';

/**
 * The explorer on GET /graphql in a browser, by EXPLORER:
 * - `sandbox`: Apollo Sandbox (Apollo's landing page; its code comes from Apollo's CDN);
 * - `graphiql`: GraphiQL from this server's own files (dist/web/graphiql, bundled by scripts/build-web.ts),
 *   for machines without internet;
 * - `off`: none (the production default).
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
