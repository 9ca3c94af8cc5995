/**
 * A graphql-inspector diff rule (scripts/schema-compat.sh passes it with --rule): a breaking change
 * that is marked deliberate no longer fails the check; it is reported as dangerous instead.
 *
 * Marked deliberate means: a line containing "BREAKING" that names the change's path (such as
 * `Customer.domain` or `Query.customers`)
 *   - in the "## Unreleased" section of CHANGELOG.md, or
 *   - in a commit message since the base (SCHEMA_COMPAT_SINCE, a git ref; a `BREAKING CHANGE:` footer).
 */
const { execFileSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');

function unreleasedLines(file) {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = lines.findIndex((line) => /^##\s+Unreleased/i.test(line));
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && /^##\s/.test(line));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

function commitLines(since) {
  if (!since) return [];
  try {
    return execFileSync('git', ['log', '--format=%B', `${since}..HEAD`], { encoding: 'utf8' }).split('\n');
  } catch {
    return [];
  }
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

module.exports = function deliberate({ changes }) {
  const marks = [...unreleasedLines(process.env.SCHEMA_CHANGELOG || 'CHANGELOG.md'), ...commitLines(process.env.SCHEMA_COMPAT_SINCE)].filter((line) =>
    line.includes('BREAKING'),
  );
  return changes.map((change) => {
    if (change.criticality.level !== 'BREAKING' || !change.path) return change;
    const named = new RegExp(`(^|[^\\w.])${escape(change.path)}($|[^\\w.])`);
    if (!marks.some((line) => named.test(line))) return change;
    return { ...change, criticality: { ...change.criticality, level: 'DANGEROUS', reason: `marked deliberate: ${change.criticality.reason ?? ''}` } };
  });
};
