import { v7 as uuidv7 } from 'uuid';

/** New primary keys are UUIDv7: unique, and ordered by creation time, which keyset paging relies on. */
export function newId(): string {
  return uuidv7();
}
