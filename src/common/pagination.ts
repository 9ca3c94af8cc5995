import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { ArgsType, type ClassType, Field, Int, ObjectType } from 'type-graphql';
import type { SelectQueryBuilder } from 'typeorm';
import { readMany } from './entity-reader';
import { normalizeId } from './ids';
import { UserInputError } from './errors';
import { MaxCodePoints } from './validation';

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, description: `Page size, 1 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE})` })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  first?: number;

  @Field(() => String, { nullable: true, description: 'The endCursor of the previous page' })
  @IsOptional()
  @MaxCodePoints(200)
  after?: string;
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
 * A connection of `edges` whose `totalCount` runs `count` the first time the field is read (only
 * when selected: a plain property read, for graphql-js and compiled operations alike), and once.
 */
export function connectionOf<T>(edges: Edge<T>[], hasNextPage: boolean, count: () => Promise<number>): Connection<T> {
  let counted: Promise<number> | undefined;
  return {
    edges,
    pageInfo: { hasNextPage, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
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

export interface PageRequest {
  first: number;
  afterId?: string;
}

export function pageRequest(args: ConnectionArgs): PageRequest {
  return { first: args.first ?? DEFAULT_PAGE_SIZE, afterId: decodeCursor(args.after) };
}

/**
 * Turns `first + 1` rows fetched in keyset order into a connection: the extra row only tells
 * that there is a next page.
 */
export function toConnection<T extends { id: string }>(rows: T[], page: PageRequest, count: () => Promise<number>): Connection<T> {
  const hasNextPage = rows.length > page.first;
  const nodes = hasNextPage ? rows.slice(0, page.first) : rows;
  return connectionOf(
    nodes.map((node) => ({ cursor: encodeCursor(node.id), node })),
    hasNextPage,
    count,
  );
}

export interface PageOptions {
  /** ASC (default): oldest first, UUIDv7 ids being in time order */
  order?: 'ASC' | 'DESC';
  /**
   * The column the keyset orders and seeks on: one whose value is the row id, taken from the index
   * the query already walks (a partner's customers: `scope_rr.customerId` of the relationship index),
   * so a page reads about `first + 1` index entries whatever the list's size. Default `<alias>.id`.
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

/**
 * One page of a query, keyset-paged on the row id, with a lazy `totalCount`. The query comes
 * already filtered (for tenant rows: from the caller's scope).
 */
export async function paginate<T extends { id: string }>(qb: SelectQueryBuilder<T>, args: ConnectionArgs, options: PageOptions = {}): Promise<Connection<T>> {
  const { order = 'ASC', key = `${qb.alias}.id` } = options;
  const page = pageRequest(args);
  const counter = options.count ?? (() => qb.clone().getCount());
  const rows = qb.clone();
  if (page.afterId) rows.andWhere(`${key} ${order === 'ASC' ? '>' : '<'} :pageAfterId`, { pageAfterId: page.afterId });
  const found = await readMany(rows.orderBy(key, order).limit(page.first + 1), options.select);
  return toConnection(found, page, counter);
}
