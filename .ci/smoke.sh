#!/usr/bin/env bash
# Starts the built server as `npm start` does (SQLite, demo data), uses a printed token, then SIGTERM: must exit 0.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WORK="$(mktemp -d)"
PORT="${SMOKE_PORT:-4789}"
SQLITE_PATH="$WORK/demo.sqlite" PORT="$PORT" node dist/src/main.js >"$WORK/out.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 1 60); do curl -fs "http://localhost:$PORT/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
curl -fs "http://localhost:$PORT/healthz" >/dev/null
grep -q "Apollo Sandbox:   http://localhost:$PORT/graphql" "$WORK/out.log"
TOKEN="$(grep -A1 'GLOBAL_ADMIN of Contoso' "$WORK/out.log" | tail -1 | tr -d ' ')"
ANSWER="$(curl -fs "http://localhost:$PORT/graphql" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
  -d '{"query":"{ viewer { partner { name } } partners { totalCount } customers { totalCount } }"}')"
echo "$ANSWER" | grep -q '"name":"Contoso Cloud Services Ltd"' || { echo "unexpected answer: $ANSWER"; exit 1; }
echo "$ANSWER" | grep -q '"customers":{"totalCount":2}' || { echo "unexpected answer: $ANSWER"; exit 1; }
# the demo's admin relationships: one active, one ending within a week, one waiting for approval
ADMIN="$(curl -fs "http://localhost:$PORT/graphql" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
  -d '{"query":"{ all: adminRelationships { totalCount } active: adminRelationships(filter: { status: ACTIVE }) { totalCount } pending: adminRelationships(filter: { status: APPROVAL_PENDING }) { totalCount } expiring: adminRelationships(filter: { expiringWithinDays: 7 }) { totalCount } }"}')"
echo "$ADMIN" | grep -q '"all":{"totalCount":3},"active":{"totalCount":2},"pending":{"totalCount":1},"expiring":{"totalCount":1}' || { echo "unexpected admin relationships: $ADMIN"; exit 1; }
# the demo's subscriptions: Adatum's yearly Premium, and monthly Basic with a change scheduled for its renewal
SUBS="$(curl -fs "http://localhost:$PORT/graphql" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
  -d '{"query":"{ customers(first: 5, filter: { search: \"Adatum\" }) { edges { node { id subscriptions(first: 5) { edges { node { offer { id } termDuration status scheduledChange { quantity offer { id } } assignedLicenses } } } } } } }"}')"
echo "$SUBS" | grep -q '"termDuration":"P1Y","status":"ACTIVE","scheduledChange":null,"assignedLicenses":2' || { echo "unexpected subscriptions: $SUBS"; exit 1; }
echo "$SUBS" | grep -q '"scheduledChange":{"quantity":12,"offer":{"id":"m365-business-standard"}}' || { echo "unexpected subscriptions: $SUBS"; exit 1; }
# Adatum's directory, read by Contoso through its delegated admin privileges: the admin and two licensed users
ADATUM="$(echo "$SUBS" | grep -o '"node":{"id":"[0-9a-f-]*"' | head -1 | grep -o '[0-9a-f-]\{36\}')"
USERS="$(curl -fs "http://localhost:$PORT/graphql" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
  -d "{\"query\":\"{ customerUsers(customerId: \\\"$ADATUM\\\") { totalCount edges { node { userName licenses { edges { node { offer { id } } } } } } } }\"}")"
echo "$USERS" | grep -q '"totalCount":3' || { echo "unexpected users: $USERS"; exit 1; }
echo "$USERS" | grep -q '"userName":"ben.miller@adatum.onmicrosoft.com","licenses":{"edges":\[{"node":{"offer":{"id":"m365-business-premium"}}}\]}' || { echo "unexpected users: $USERS"; exit 1; }
# what a browser opens in development: the dashboard example, a link page (here an unknown token)
curl -fs "http://localhost:$PORT/examples/dashboard/" | grep -q '<h1>Partner dashboard</h1>' || { echo "no dashboard example"; exit 1; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://localhost:$PORT/invitations/no-such-token")" = 404 ] || { echo "no link page"; exit 1; }
# the operator's view (development serves /metrics without a token): the queries above were counted
curl -fs "http://localhost:$PORT/metrics" | grep -q '^graphql_operations_total{operation="anonymous",type="query",transport="http",code="OK"} [1-9]' || { echo "no operation metrics"; exit 1; }
grep -q '"msg":"operation"' "$WORK/out.log" || { echo "no operation log line"; exit 1; }
kill -TERM "$PID"
wait "$PID"
echo "smoke: demo server answered with a printed token and exited 0 on SIGTERM"
