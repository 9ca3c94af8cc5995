import type { DocumentNode, ExecutionResult, FragmentDefinitionNode, OperationDefinitionNode } from 'graphql';
import { Kind, Lexer, type SelectionSetNode, Source, stripIgnoredCharacters, TokenKind } from 'graphql';
import { LRUCache } from 'lru-cache';

/** The root fields that read the schema (`__typename` only names the root type and is always allowed). */
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

/** The names of an operation's root fields, through fragments and inline fragments. */
function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): Set<string> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const names = new Set<string>();
  const spread = new Set<string>();
  const walk = (selectionSet: SelectionSetNode | undefined) => {
    for (const sel of selectionSet?.selections ?? []) {
      if (sel.kind === Kind.FIELD) names.add(sel.name.value);
      else if (sel.kind === Kind.INLINE_FRAGMENT) walk(sel.selectionSet);
      else if (!spread.has(sel.name.value)) {
        spread.add(sel.name.value);
        walk(fragments.get(sel.name.value)?.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return names;
}

/** True when the operation reads the schema: a `__schema` or `__type` selection (skipped or not). */
export function selectsIntrospection(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  for (const name of rootFieldNames(document, operation)) if (INTROSPECTION_ROOTS.has(name)) return true;
  return false;
}

/** True when the operation reads the schema and nothing else (`__typename` aside): its answer depends only on the document. */
export function isIntrospectionOnly(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  const names = rootFieldNames(document, operation);
  let reads = false;
  for (const name of names) {
    if (INTROSPECTION_ROOTS.has(name)) reads = true;
    else if (name !== '__typename') return false;
  }
  return reads;
}

const MENTIONS = /__(?:schema|type)(?![_0-9A-Za-z])/;

/**
 * True when a document's text holds the name `__schema` or `__type` outside strings and comments:
 * graphql's lexer alone, without parsing or validating, for refusing introspection before either
 * (validating a document of a few thousand tokens takes milliseconds). Reads at most `maxTokens`
 * tokens: the parser refuses longer documents anyway. A document that does not lex is left to the parser.
 */
export function mentionsIntrospection(text: string, maxTokens: number): boolean {
  if (!MENTIONS.test(text)) return false;
  const lexer = new Lexer(new Source(text));
  try {
    for (let token = lexer.advance(), n = 0; token.kind !== TokenKind.EOF && n < maxTokens; token = lexer.advance(), n++) {
      if (token.kind === TokenKind.NAME && (token.value === '__schema' || token.value === '__type')) return true;
    }
  } catch {
    // a syntax error: the parser says so
  }
  return false;
}

/** How often introspection documents ran and were answered from the cache, in this process (for tests and bench:abuse). */
/**
 * Every option of graphql's `getIntrospectionQuery`: its largest form, what GraphiQL and graphql-codegen
 * send, and the one the introspection budget must fit (src/pipeline/gate.ts).
 */
export const FULL_INTROSPECTION = {
  descriptions: true,
  specifiedByUrl: true,
  directiveIsRepeatable: true,
  schemaDescription: true,
  inputValueDeprecation: true,
  oneOf: true,
} as const;

export const introspectionStats = { executed: 0, answeredFromCache: 0 };

/** Answers bigger than a generous full introspection of this schema are not worth keeping. */
const MAX_KEY_LENGTH = 50_000;

/**
 * The answers of introspection-only operations, by document text (without comments and insignificant
 * whitespace), operation name and variables, for
 * one schema (one cache per OperationCompiler, which serves one schema): GraphiQL, Sandbox (which polls)
 * and codegen send the same introspection again and again, and its answer can only change with the
 * schema. A small LRU: a few distinct introspection documents are in use at a time, each answer is
 * at most a few hundred KB. The promise is kept, so identical requests arriving together run once.
 * Answers with errors are not kept.
 */
export class IntrospectionCache {
  private readonly answers = new LRUCache<string, Promise<ExecutionResult>>({ max: 16 });

  answer(
    source: string,
    operationName: string | null | undefined,
    variables: Record<string, unknown> | null | undefined,
    run: () => Promise<ExecutionResult>,
  ): Promise<ExecutionResult> {
    // the text without comments and insignificant whitespace: a comment or a blank changes no answer
    const key = JSON.stringify([stripIgnoredCharacters(source), operationName ?? null, variables ?? null]);
    if (key.length > MAX_KEY_LENGTH) return this.execute(run);
    const known = this.answers.get(key);
    if (known) {
      introspectionStats.answeredFromCache++;
      return known;
    }
    const answer = this.execute(run).then(
      (result) => {
        if (result.errors?.length) this.answers.delete(key);
        return result;
      },
      (err: unknown) => {
        this.answers.delete(key);
        throw err;
      },
    );
    this.answers.set(key, answer);
    return answer;
  }

  private execute(run: () => Promise<ExecutionResult>): Promise<ExecutionResult> {
    introspectionStats.executed++;
    return run();
  }
}
