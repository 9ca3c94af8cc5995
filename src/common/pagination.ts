import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ArgsType, type ClassType, Field, Int, ObjectType } from 'type-graphql';
import type { SelectQueryBuilder } from 'typeorm';
import { readMany } from './entity-reader';
import { normalizeId } from './ids';
import { UserInputError } from './errors';
import { MaxCodePoints } from './validation';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

/**
 * Relay's PageInfo. `hasPreviousPage` after an `after` cursor (and `hasNextPage` before a `before`
 * cursor) ask the database whether anything lies beyond the cursor: lazily, only when the field is
 * selected, one `LIMIT 1` read of the same index (not simple: a getter's Promise, awaited by the
 * field's resolver, under graphql-jit too).
 */
@ObjectType()
export class PageInfo {
  @Field(() => Boolean, { simple: false, description: 'Whether items follow the last edge' })
  hasNextPage: boolean | Promise<boolean>;

  @Field(() => Boolean, { simple: false, description: 'Whether items precede the first edge' })
  hasPreviousPage: boolean | Promise<boolean>;

  @Field(() => String, { nullable: true, description: 'The cursor of the first edge: pass it as `before` for the page before' })
  startCursor: string | null;

  @Field(() => String, { nullable: true, description: 'The cursor of the last edge: pass it as `after` for the page after' })
  endCursor: string | null;
}

@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, description: `Page size from the start (or from \`after\`), 1 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE})` })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first?: number;

  @Field(() => String, { nullable: true, description: 'Items after this cursor (the endCursor of the previous page)' })
  @IsOptional()
  @MaxCodePoints(200)
  after?: string;

  @Field(() => Int, { nullable: true, description: `Page size from the end (or from \`before\`), 1 to ${MAX_PAGE_SIZE}; not with \`first\`` })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  last?: number;

  @Field(() => String, { nullable: true, description: 'Items before this cursor (the startCursor of the next page)' })
  @IsOptional()
  @MaxCodePoints(200)
  before?: string;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

/** A Relay connection. `totalCount` is a lazy getter, so its count runs only when the field is selected. */
export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  readonly totalCount: Promise<number>;
}

/**
 * Whether any item of the list lies at or beyond a cursor's position, in the list's order:
 * `'before'` (the cursor's item or one before it) or `'after'` (it or one after it).
 */
export type Beyond<K> = (side: 'before' | 'after', position: K) => Promise<boolean>;

/** Where a page was taken: its size, its direction, and the cursors' positions that bound it. */
export interface PageWindow<K> {
  size: number;
  /** `last`: the page ends at the end of the list (or at `before`) */
  backward: boolean;
  after?: K;
  before?: K;
}

/**
 * A connection of `rows`, read in the page's walking order (forward: the list's order from `after`;
 * backward: the reverse order from `before`), at most `size + 1` of them: the extra row only tells
 * that more lie in that direction. `totalCount` runs `count` the first time the field is read, once;
 * the PageInfo flags that need the database (`beyond`) likewise.
 */
export function connectionOf<T, K>(
  rows: T[],
  page: PageWindow<K>,
  cursorOf: (node: T) => string,
  count: () => Promise<number>,
  beyond: Beyond<K>,
): Connection<T> {
  const more = rows.length > page.size;
  const taken = more ? rows.slice(0, page.size) : rows;
  const nodes = page.backward ? taken.reverse() : taken;
  const edges = nodes.map((node) => ({ cursor: cursorOf(node), node }));
  let counted: Promise<number> | undefined;
  let previous: Promise<boolean> | undefined;
  let next: Promise<boolean> | undefined;
  // forward: more rows is a next page; an `after` cursor may have items before it (and `before` after it)
  const ahead = page.backward ? false : more;
  const behind = page.backward ? more : false;
  return {
    edges,
    pageInfo: {
      get hasNextPage() {
        if (ahead || page.before === undefined) return ahead;
        return (next ??= beyond('after', page.before));
      },
      get hasPreviousPage() {
        if (behind || page.after === undefined) return behind;
        return (previous ??= beyond('before', page.after));
      },
      startCursor: edges.length ? edges[0].cursor : null,
      endCursor: edges.length ? edges[edges.length - 1].cursor : null,
    },
    get totalCount() {
      return (counted ??= count());
    },
  };
}

/** Builds `<Name>Connection` and `<Name>Edge` object types for a node type. */
export function ConnectionType<T extends object>(name: string, nodeType: ClassType<T>) {
  @ObjectType(`${name}Edge`)
  class EdgeType {
    @Field({ description: 'Opaque cursor of this edge' })
    cursor: string;

    @Field(() => nodeType)
    node: T;
  }

  @ObjectType()
  abstract class ConnectionClass {
    @Field(() => [EdgeType])
    edges: EdgeType[];

    @Field(() => PageInfo)
    pageInfo: PageInfo;

    // not simple: a lazy getter's Promise (connectionOf), awaited by the field's resolver; the count runs only when selected
    @Field(() => Int, { simple: false, description: 'All items matching the filter, across pages' })
    totalCount: number;
  }
  return ConnectionClass;
}

/** Where a connection's nodes are in its selection, for `selectedProperties`. */
export const CONNECTION_NODES = ['edges', 'node'] as const;

const CURSOR_PREFIX = 'k1:';

/** Cursors are opaque to clients: base64url of the keyset position (the row id). */
export function encodeCursor(id: string): string {
  return Buffer.from(CURSOR_PREFIX + id, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | undefined | null, field = 'after'): string | undefined {
  if (cursor === undefined || cursor === null) return undefined;
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  // the position is a row id, compared in SQL with an id column: anything else is no cursor of ours
  // (on MySQL/MariaDB a non-ASCII text compared with an ascii_bin id column is an error, not "no row")
  const id = raw.startsWith(CURSOR_PREFIX) ? normalizeId(raw.slice(CURSOR_PREFIX.length)) : undefined;
  if (id === undefined) throw UserInputError.field(field, 'is not a valid cursor');
  return id;
}

/** A page of a list keyed by row ids. */
export type PageRequest = PageWindow<string>;

/**
 * The page the arguments ask for: `first`/`after` forward, `last`/`before` backward (both cursors
 * bound either), with the cursors decoded by `decode` (a list's own cursor format).
 */
export function pageWindow<K>(args: ConnectionArgs, decode: (cursor: string | undefined, field: string) => K | undefined): PageWindow<K> {
  if (args.first != null && args.last != null) {
    throw UserInputError.field('last', 'cannot be combined with first: page forward with first/after, or backward with last/before');
  }
  const backward = args.last != null;
  return {
    size: (backward ? args.last : args.first) ?? DEFAULT_PAGE_SIZE,
    backward,
    after: decode(args.after, 'after'),
    before: decode(args.before, 'before'),
  };
}

/** The page of a list keyed by row ids that the arguments ask for. */
export function pageRequest(args: ConnectionArgs): PageRequest {
  return pageWindow(args, decodeCursor);
}

/** A connection of rows keyed by their ids (see connectionOf). */
export function toConnection<T extends { id: string }>(rows: T[], page: PageRequest, count: () => Promise<number>, beyond: Beyond<string>): Connection<T> {
  return connectionOf(rows, page, (node) => encodeCursor(node.id), count, beyond);
}

/**
 * A connection over a short list already read whole (a user's licences), in id order: the same
 * arguments, cursors and PageInfo as `paginate`, answered from memory.
 */
export function listConnection<T extends { id: string }>(items: readonly T[], args: ConnectionArgs): Connection<T> {
  const page = pageRequest(args);
  const inWindow = items.filter((item) => (page.after === undefined || item.id > page.after) && (page.before === undefined || item.id < page.before));
  const walked = page.backward ? [...inWindow].reverse() : inWindow;
  return toConnection(
    walked.slice(0, page.size + 1),
    page,
    () => Promise.resolve(items.length),
    (side, id) => Promise.resolve(items.some((item) => (side === 'after' ? item.id >= id : item.id <= id))),
  );
}

export interface PageOptions {
  /** ASC (default): oldest first, UUIDv7 ids being in time order */
  order?: 'ASC' | 'DESC';
  /**
   * The column the keyset orders and seeks on: one whose value is the row id, taken from the index
   * the query already walks (a partner's customers: `scope_rr.customerId` of the relationship index),
   * so a page reads about `size + 1` index entries whatever the list's size, from either end.
   * Default `<alias>.id`.
   */
  key?: string;
  /**
   * The properties the response reads of each node (`selectedProperties(info, CONNECTION_NODES)`):
   * only their columns are selected. Without it, every column.
   */
  select?: readonly string[];
  /** an O(1) count for `totalCount` (a tally, src/counts/); without one the matching rows are counted */
  count?: () => Promise<number>;
}

/** The comparison that keeps the keys on one side of a position, in a list of this order. */
export function keysetSide(order: 'ASC' | 'DESC', side: 'before' | 'after', inclusive = false): string {
  const ascending = (order === 'ASC') === (side === 'after');
  return (ascending ? '>' : '<') + (inclusive ? '=' : '');
}

/**
 * One page of a query, keyset-paged on the row id from either end, with a lazy `totalCount`. The
 * query comes already filtered (for tenant rows: from the caller's scope). A backward page walks the
 * same index in reverse, so it costs what a forward one does.
 */
export async function paginate<T extends { id: string }>(qb: SelectQueryBuilder<T>, args: ConnectionArgs, options: PageOptions = {}): Promise<Connection<T>> {
  const { order = 'ASC', key = `${qb.alias}.id` } = options;
  const page = pageRequest(args);
  const counter = options.count ?? (() => qb.clone().getCount());
  const rows = qb.clone();
  if (page.after) rows.andWhere(`${key} ${keysetSide(order, 'after')} :pageAfterId`, { pageAfterId: page.after });
  if (page.before) rows.andWhere(`${key} ${keysetSide(order, 'before')} :pageBeforeId`, { pageBeforeId: page.before });
  const walk = page.backward ? (order === 'ASC' ? 'DESC' : 'ASC') : order;
  const found = await readMany(rows.orderBy(key, walk).limit(page.size + 1), options.select);
  const beyond: Beyond<string> = async (side, id) => {
    const probe = qb
      .clone()
      .select(key, 'k')
      .andWhere(`${key} ${keysetSide(order, side, true)} :pageProbeId`, { pageProbeId: id })
      .limit(1);
    return (await probe.getRawMany()).length > 0;
  };
  return toConnection(found, page, counter, beyond);
}
