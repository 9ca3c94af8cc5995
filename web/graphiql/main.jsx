/**
 * GraphiQL, served by the server itself when EXPLORER=graphiql (no CDN: scripts/build-web.ts bundles
 * this file and its npm packages into dist/web/graphiql/ at build time).
 *
 * Queries and mutations go over HTTP POST to the page's own GraphQL path; subscriptions over
 * graphql-ws on the same path. The headers tab carries `Authorization: Bearer <token>`: it is sent
 * with every HTTP request, and as the socket's connection parameter (one socket per token).
 */
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { getOperationAST, parse } from 'graphql';
import { createClient } from 'graphql-ws';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

const root = document.getElementById('graphiql');
const url = new URL(root.dataset.endpoint, window.location.href);
const wsUrl = url.href.replace(/^http/, 'ws');

const DEFAULT_HEADERS = JSON.stringify({ Authorization: 'Bearer <paste a token: npm run token>' }, null, 2);

const DEFAULT_QUERY = `# Put your token in the Headers tab below, then run:
query Viewer {
  viewer {
    id
    roles
    partner { id name type }
    customer { id companyName }
  }
}

# Live: run this one, then change something in another tab
subscription Events {
  events {
    type
    occurredAt
    customerId
    cursor
  }
}
`;

/** The Authorization header from the headers tab; the placeholder counts as none. */
function authorization(headers) {
  const value = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  return typeof value === 'string' && !value.includes('<') && value.trim() ? value.trim() : undefined;
}

/** One graphql-ws client per token: the server authenticates a socket once, when it opens. */
const sockets = new Map();
function socketFor(token) {
  const key = token ?? '';
  if (!sockets.has(key)) {
    sockets.set(key, createClient({ url: wsUrl, lazy: true, connectionParams: token ? { authorization: token } : {} }));
  }
  return sockets.get(key);
}

/** Decided from the text about to be sent (GraphiQL's parsed document can lag behind the editor by a keystroke). */
function isSubscription(params) {
  try {
    return getOperationAST(parse(params.query), params.operationName)?.operation === 'subscription';
  } catch {
    return false; // not valid GraphQL: the server says what is wrong
  }
}

/** HTTP without the placeholder header; a subscription over the socket of its token. */
function fetcher(params, options = {}) {
  const token = authorization(options.headers);
  if (isSubscription(params)) {
    return socketFor(token).iterate(params);
  }
  const headers = Object.fromEntries(Object.entries(options.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'authorization'));
  if (token) headers.authorization = token;
  return createGraphiQLFetcher({ url: url.href })(params, { ...options, headers });
}

createRoot(root).render(
  <StrictMode>
    <GraphiQL
      fetcher={fetcher}
      defaultQuery={DEFAULT_QUERY}
      defaultHeaders={DEFAULT_HEADERS}
      defaultEditorToolsVisibility="headers"
      isHeadersEditorEnabled
      shouldPersistHeaders={false}
    />
  </StrictMode>,
);
