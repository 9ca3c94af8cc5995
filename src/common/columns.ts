import type { ColumnOptions, PrimaryColumnOptions, ValueTransformer } from 'typeorm';

/** Column shapes shared by every entity, so SQLite and MySQL get the same schema. */
export const idColumn: PrimaryColumnOptions = { type: 'varchar', length: 36 };
export const refColumn: ColumnOptions = { type: 'varchar', length: 36 };
export const nullableRefColumn: ColumnOptions = { type: 'varchar', length: 36, nullable: true };
export const enumColumn: ColumnOptions = { type: 'varchar', length: 32 };
export const timeColumn: ColumnOptions = { type: 'datetime', precision: 3 };
export const nullableTimeColumn: ColumnOptions = { type: 'datetime', precision: 3, nullable: true };

/** MySQL returns BIGINT as a string; positions and counts stay far below 2^53, so they are plain numbers here. */
const bigintNumber: ValueTransformer = {
  to: (v: number | undefined) => v,
  from: (v: string | number | null) => (v === null ? null : Number(v)),
};
export const bigintColumn = { type: 'bigint' as const, transformer: bigintNumber };
