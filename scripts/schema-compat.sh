#!/usr/bin/env bash
# Does schema/schema.graphql keep working for clients built against the base schema?
# graphql-inspector lists every change; a breaking one (a field removed, a type changed, an argument
# made required…) fails the check unless it is marked deliberate (scripts/schema-compat/deliberate.js):
# a "BREAKING" line naming its path in CHANGELOG.md's Unreleased section, or in a commit message.
#
#   bash scripts/schema-compat.sh            against schema/baseline.graphql (the released schema)
#   bash scripts/schema-compat.sh origin/main against the schema of a git ref (a pull request's base)
#   SCHEMA_NEW=file bash scripts/schema-compat.sh   checks another file than schema/schema.graphql
#
# After a release: npm run schema:baseline (copies the schema to the baseline).
set -euo pipefail
cd "$(dirname "$0")/.."
new="${SCHEMA_NEW:-schema/schema.graphql}"
base="${1:-${SCHEMA_BASE:-}}"
if [ -n "$base" ]; then
  old="$(mktemp --suffix=.graphql)"
  trap 'rm -f "$old"' EXIT
  git show "$base:schema/schema.graphql" >"$old"
  export SCHEMA_COMPAT_SINCE="$base"
else
  old=schema/baseline.graphql
  # commit messages count from the commit that last set the baseline
  SCHEMA_COMPAT_SINCE="$(git log -1 --format=%H -- schema/baseline.graphql 2>/dev/null || true)"
  export SCHEMA_COMPAT_SINCE
fi
echo "schema compatibility: $new against ${base:-$old}"
exec npx --no-install graphql-inspector diff "$old" "$new" --rule ./scripts/schema-compat/deliberate.js
