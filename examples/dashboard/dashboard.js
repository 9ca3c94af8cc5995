/**
 * A live partner dashboard in one file, without a framework: documentation that runs.
 *
 * 1. Sign in with a token (development: printed by `npm start`, or `npm run token`).
 * 2. Read the viewer and its customers over HTTP (POST /graphql).
 * 3. Follow the `events` subscription over graphql-ws (WebSocket on /graphql). `Event` is an interface
 *    with one type per event type: the fields every event has are selected on it, what a type carries
 *    (a customer's name, whether DAP came with an invitation…) in an inline fragment on that type.
 *    Every event carries a cursor; the last one shown is kept, and after a lost connection the
 *    subscription starts again with `after: <that cursor>`: the server first replays what was missed,
 *    then goes on live.
 * 4. A refused token closes the socket with 4401 (missing, bad or expired, also while the socket is
 *    open): no retry, sign in again.
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
            id
            status
          }
          delegatedAdminPrivileges {
            id
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
      __typename
      id
      cursor
      type
      occurredAt
      customerId
      ... on CustomerCreatedEvent {
        companyName
        domain
      }
      ... on InvitationCreatedEvent {
        includeDelegatedAdminPrivileges
        expiresAt
      }
      ... on InvitationAcceptedEvent {
        customer {
          companyName
        }
        invitation {
          includeDelegatedAdminPrivileges
        }
      }
      ... on DelegatedAdminGrantedEvent {
        restored
      }
      ... on SubscriptionCreatedEvent {
        quantity
      }
      ... on SubscriptionUpdatedEvent {
        quantity
        changed
      }
    }
  }
`;

/** What an event's own fields add to its line, by its GraphQL type (the fields of the fragments above). */
const DETAILS = {
  CustomerCreatedEvent: (e) => `created (${e.domain})`,
  InvitationCreatedEvent: (e) =>
    `${e.includeDelegatedAdminPrivileges ? 'with delegated admin privileges' : 'without admin privileges'}, open until ${new Date(e.expiresAt).toLocaleDateString()}`,
  InvitationAcceptedEvent: (e) => (e.invitation.includeDelegatedAdminPrivileges ? 'accepted, with delegated admin privileges' : 'accepted'),
  DelegatedAdminGrantedEvent: (e) => (e.restored ? 'restored' : 'granted'),
  SubscriptionCreatedEvent: (e) => `${e.quantity} licences`,
  SubscriptionUpdatedEvent: (e) => `${e.changed.join(', ')} changed; ${e.quantity} licences`,
};

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
  const detail = DETAILS[event.__typename]?.(event);
  if (detail) item.append(` · ${detail}`);
  $('events').prepend(item);
}

/** The names events carry: a customer removed from the list, or one whose event was replayed, is still named. */
function learnNames(event) {
  if (!event.customerId) return;
  const name =
    event.__typename === 'CustomerCreatedEvent' ? event.companyName : event.__typename === 'InvitationAcceptedEvent' ? event.customer.companyName : null;
  if (name) state.names.set(event.customerId, name);
}

const cursorKey = () => `dashboard.cursor.${state.viewerId}`;

function forgetCursor() {
  state.cursor = null;
  localStorage.removeItem(cursorKey());
}

/** Each event: shown in the order it came, its cursor kept (also across page loads), the customer list refreshed when it changed. */
function onEvent(event) {
  learnNames(event);
  state.cursor = event.cursor;
  localStorage.setItem(cursorKey(), event.cursor);
  showEvent(event);
  if (CHANGES_CUSTOMERS.has(event.type)) refreshCustomers();
}

/** Reads the customer list again; during a burst of changes (a replay after a reconnection), once more at the end only. */
const refresh = { running: false, again: false };
function refreshCustomers() {
  if (refresh.running) return void (refresh.again = true);
  refresh.running = true;
  // a failure leaves the list as it was: the next change reads it again (a refused token closes the socket, 4401)
  loadCustomers()
    .catch(() => {})
    .finally(() => {
      refresh.running = false;
      if (refresh.again && state.token) {
        refresh.again = false;
        refreshCustomers();
      }
    });
}

/**
 * Subscribes from the last cursor; on a lost connection, waits (1 s, 2 s, 4 s … at most 15 s) and subscribes again.
 * graphql-ws reports a closed socket as its close event (with `code` and `reason`), a refused operation as its GraphQL errors.
 */
function follow() {
  setStatus(state.retries ? 'reconnecting…' : 'connecting…', 'down');
  state.unsubscribe = state.socket.subscribe(
    { query: EVENTS, variables: { after: state.cursor } },
    {
      next: ({ data, errors }) => (errors ? setStatus(errors[0].message, 'down') : onEvent(data.events)),
      error: (err) => {
        // 4401: no token, or a bad or expired one (also when it expires on an open socket): sign in again
        if (err?.code === 4401) return signOut(`The server refused the token: ${err.reason || 'sign in again'} (4401).`);
        if (Array.isArray(err)) {
          // a kept cursor the server does not know (another server, a reset database): follow from now on
          if (state.cursor && err.some((e) => e.extensions?.code === 'BAD_USER_INPUT')) {
            forgetCursor();
            return loadCustomers().then(follow, follow);
          }
          // the operation itself was refused: subscribing again would be refused again
          return setStatus(`refused: ${err[0]?.message ?? 'unknown error'}`, 'down');
        }
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
  state.cursor = localStorage.getItem(cursorKey());
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
