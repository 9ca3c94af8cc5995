/**
 * The breaking-change check CI runs (scripts/schema-compat.sh, graphql-inspector): a removed field fails
 * it, an added one passes, and a removal marked deliberate in the changelog passes.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type FieldDefinitionNode, Kind, parse, print, visit } from 'graphql';

const ROOT = join(__dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'schema-compat-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The committed schema with Customer's fields changed. */
function variant(name: string, change: (fields: readonly FieldDefinitionNode[]) => readonly FieldDefinitionNode[]): string {
  const doc = visit(parse(readFileSync(join(ROOT, 'schema/schema.graphql'), 'utf8')), {
    ObjectTypeDefinition: (node) => (node.name.value === 'Customer' ? { ...node, fields: change(node.fields ?? []) } : undefined),
  });
  const file = join(dir, `${name}.graphql`);
  writeFileSync(file, print(doc));
  return file;
}

async function check(schema: string, env: Record<string, string> = {}) {
  try {
    const { stdout } = await promisify(execFile)('bash', ['scripts/schema-compat.sh'], { cwd: ROOT, env: { ...process.env, SCHEMA_NEW: schema, ...env } });
    return { code: 0, output: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe('the breaking-change check', () => {
  it('fails when a field is removed', async () => {
    const removed = variant('removed', (fields) => fields.filter((f) => f.name.value !== 'domain'));
    const result = await check(removed, { SCHEMA_CHANGELOG: join(dir, 'none.md') });
    expect(result.code).toBe(1);
    expect(result.output).toContain('Field domain was removed from object type Customer');
    expect(result.output).toContain('Detected 1 breaking change');
  });

  it('passes an additive change', async () => {
    const added = variant('added', (fields) => [
      ...fields,
      {
        kind: Kind.FIELD_DEFINITION,
        name: { kind: Kind.NAME, value: 'nickname' },
        arguments: [],
        directives: [],
        type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: 'String' } },
      },
    ]);
    const result = await check(added);
    expect(result.code).toBe(0);
    expect(result.output).toContain('Field nickname was added to object type Customer');
    expect(result.output).toContain('No breaking changes detected');
  });

  it('passes a removal that the changelog marks deliberate, and only that one', async () => {
    const changelog = join(dir, 'CHANGELOG.md');
    writeFileSync(
      changelog,
      '# Changelog\n\n## Unreleased\n\n- BREAKING: `Customer.domain` is removed; read it from `Customer.primaryContact`.\n\n## 0.1.0\n\n- BREAKING: `Customer.cloud` (an old entry: not this release)\n',
    );
    const domain = variant('domain', (fields) => fields.filter((f) => f.name.value !== 'domain'));
    expect((await check(domain, { SCHEMA_CHANGELOG: changelog })).code).toBe(0);
    const cloud = variant('cloud', (fields) => fields.filter((f) => f.name.value !== 'cloud'));
    expect((await check(cloud, { SCHEMA_CHANGELOG: changelog })).code).toBe(1);
  });

  it('holds for the committed schema', async () => {
    expect((await check(join(ROOT, 'schema/schema.graphql'))).code).toBe(0);
  });
});
