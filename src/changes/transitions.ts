import type { EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * The states a stateful entity moves through, declared next to the entity (`declareTransitions`) as a
 * table `from → [to, …]`. The change primitive refuses any other move of that column, and makes each
 * allowed one with a conditional UPDATE on the state it read, so a move happens once however many
 * requests race for it.
 */
export type TransitionTable<S extends string> = Partial<Record<S, readonly S[]>>;

interface Declared {
  column: string;
  table: TransitionTable<string>;
}

const DECLARED = new Map<EntityTarget<ObjectLiteral>, Declared>();

/** Declares the state column of `entity` and its allowed moves. */
export function declareTransitions<T extends ObjectLiteral, K extends keyof T & string>(
  entity: EntityTarget<T>,
  column: K,
  table: TransitionTable<T[K] & string>,
): TransitionTable<T[K] & string> {
  DECLARED.set(entity, { column, table: table });
  return table;
}

/** The state column of `entity`, when it declares one. */
export function stateColumn(entity: EntityTarget<ObjectLiteral>): string | undefined {
  return DECLARED.get(entity)?.column;
}

/** Whether `entity` may move from `from` to `to` (an entity without a declaration has no states: always). */
export function mayMove(entity: EntityTarget<ObjectLiteral>, from: unknown, to: unknown): boolean {
  const declared = DECLARED.get(entity);
  if (!declared) return true;
  return (declared.table[String(from)] ?? []).includes(String(to));
}
