import type { ColumnOptions, PrimaryColumnOptions } from 'typeorm';

/** Column shapes shared by every entity, so SQLite and MySQL get the same schema. */
export const idColumn: PrimaryColumnOptions = { type: 'varchar', length: 36 };
export const refColumn: ColumnOptions = { type: 'varchar', length: 36 };
export const nullableRefColumn: ColumnOptions = { type: 'varchar', length: 36, nullable: true };
export const enumColumn: ColumnOptions = { type: 'varchar', length: 32 };
export const timeColumn: ColumnOptions = { type: 'datetime', precision: 3 };
export const nullableTimeColumn: ColumnOptions = { type: 'datetime', precision: 3, nullable: true };
