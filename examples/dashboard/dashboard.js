/**
 * A live partner dashboard in one file, without a framework: documentation that runs.
 *
 * 1. Sign in with a token (development: printed by `npm start`, or `npm run token`).
 * 2. Read the viewer and its customers over HTTP (POST /graphql).
 * 3. Follow the `events` subscription over graphql-ws (WebSocket on /graphql). Every event carries a
 *    cursor; the last one shown is kept, and after a lost connection the subscription starts again
 *    with `after: <that cursor>`: the server first replays what was missed, then goes on live.
 */
const { createClient } = window.graphqlWs;

const HTTP_URL = new URL('/graphql', window.location.href).href;
const WS_URL = HTTP_URL.replace(/^http/, 'ws');

const VIEWER_AND_CUSTOMERS = /* GraphQL */ `
  query DashboardCustomers {
    viewer {
      id
      partner {
        name
        type
      }
      customer {
        companyName
      }
    }
    customers(first: 100) {
      totalCount
      edges {
        node {
          id
          companyName
          domain
          cloud
          relationship {
            status
          }
          delegatedAdminPrivileges {
            status
          }
        }
      }
    }
  }
`;

const EVENTS = /* GraphQL */ `
  subscription DashboardEvents($after: String) {
    events(after: $after) {
      id
      cursor
      type
      occurredAt
      customerId
      data
    }
  }
`;

/** Events that change the customer list or its columns: the list is read again after them. */
const CHANGES_CUSTOMERS = new Set(['CUSTOMER_CREATED', 'INVITATION_ACCEPTED', 'RELATIONSHIP_REMOVED', 'DELEGATED_ADMIN_GRANTED', 'DELEGATED_ADMIN_REVOKED']);

const $ = (id) => document.getElementById(id);
const state = { token: null, viewerId: null, cursor: null, socket: null, unsubscribe: null, retries: 0, names: new Map() };

function setStatus(text, kind) {
  $('status').textContent = text;
  $('status').className = `status ${kind}`;
}

/** One GraphQL operation over HTTP with the token; throws the first error's message. */
async function graphql(query, variables = {}) {
  const response = await fetch(HTTP_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${state.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new Error(body.errors[0].message);
  return body.data;
}

function cell(row, text) {
  row.insertCell().textContent = text ?? '—';
}

async function loadCustomers() {
  const { viewer, customers } = await graphql(VIEWER_AND_CUSTOMERS);
  state.viewerId = viewer.id;
  $('who').textContent = viewer.partner ? `${viewer.partner.name} (${viewer.partner.type})` : (viewer.customer?.companyName ?? viewer.id);
  $('customer-count').textContent = customers.totalCount;
  const body = $('customers').tBodies[0];
  body.replaceChildren();
  for (const { node } of customers.edges) {
    state.names.set(node.id, node.companyName);
    const row = body.insertRow();
    row.dataset.customerId = node.id;
    cell(row, node.companyName);
    cell(row, node.domain);
    cell(row, node.cloud);
    cell(row, node.relationship?.status);
    cell(row, node.delegatedAdminPrivileges?.status);
  }
}

function showEvent(event) {
  const item = document.createElement('li');
  item.dataset.type = event.type;
  item.dataset.cursor = event.cursor;
  const time = document.createElement('time');
  time.dateTime = event.occurredAt;
  time.textContent = new Date(event.occurredAt).toLocaleTimeString();
  const type = document.createElement('strong');
  type.textContent = event.type;
  item.append(time, type);
  const customer = event.customerId && (state.names.get(event.customerId) ?? event.customerId);
  if (customer) item.append(` · ${customer}`);
  $('events').prepend(item);
}

/** Each event: shown, its cursor kept (also across page loads), the customer list refreshed when it changed. */
function onEvent(event) {
  state.cursor = event.cursor;
  localStorage.setItem(`dashboard.cursor.${state.viewerId}`, event.cursor);
  if (CHANGES_CUSTOMERS.has(event.type))
    loadCustomers().then(
      () => showEvent(event),
      () => showEvent(event),
    );
  else showEvent(event);
}

/** Subscribes from the last cursor; on a lost connection, waits (1 s, 2 s, 4 s … at most 15 s) and subscribes again. */
function follow() {
  setStatus(state.retries ? 'reconnecting…' : 'connecting…', 'down');
  state.unsubscribe = state.socket.subscribe(
    { query: EVENTS, variables: { after: state.cursor } },
    {
      next: ({ data, errors }) => (errors ? setStatus(errors[0].message, 'down') : onEvent(data.events)),
      error: (err) => {
        // 4401/4403: the token expired or was refused; anything else: try again
        if (err?.code === 4401 || err?.code === 4403) return signOut(`The server refused the token (${err.code}).`);
        const wait = Math.min(15_000, 1000 * 2 ** state.retries++);
        setStatus(`disconnected; reconnecting in ${Math.round(wait / 1000)} s`, 'down');
        setTimeout(() => state.token && follow(), wait);
      },
      complete: () => state.token && setTimeout(follow, 1000),
    },
  );
}

async function signIn(token) {
  state.token = token.replace(/^Bearer\s+/i, '').trim();
  try {
    await loadCustomers();
  } catch (err) {
    return signOut(`Sign-in failed: ${err.message}`);
  }
  sessionStorage.setItem('dashboard.token', state.token);
  state.cursor = localStorage.getItem(`dashboard.cursor.${state.viewerId}`);
  $('sign-in').hidden = true;
  $('board').hidden = false;
  state.socket = createClient({
    url: WS_URL,
    connectionParams: { authorization: `Bearer ${state.token}` },
    lazy: true,
    // reconnection is ours (follow): it resumes from the newest cursor, not from the one first subscribed with
    retryAttempts: 0,
    on: {
      connected: () => {
        state.retries = 0;
        setStatus('live', 'live');
      },
    },
  });
  follow();
}

function signOut(message = '') {
  state.unsubscribe?.();
  state.socket?.dispose();
  Object.assign(state, { token: null, socket: null, unsubscribe: null, retries: 0 });
  sessionStorage.removeItem('dashboard.token');
  $('board').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').textContent = message;
  $('events').replaceChildren();
  setStatus('signed out', 'down');
}

$('sign-in').addEventListener('submit', (e) => {
  e.preventDefault();
  signIn($('token').value);
});
$('sign-out').addEventListener('click', () => signOut());

const saved = sessionStorage.getItem('dashboard.token');
if (saved) signIn(saved);
