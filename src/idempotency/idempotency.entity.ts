import { EntitySchema } from 'typeorm';
import type { AppConfig } from '../common/config';

/** A key's row: claimed (IN_PROGRESS) while its mutation runs, DONE once the answer is stored. */
export enum IdempotencyState {
  IN_PROGRESS = 'IN_PROGRESS',
  DONE = 'DONE',
}

/**
 * One `Idempotency-Key` of one caller (src/idempotency/idempotency.ts): the hash of the request that
 * claimed it and, once answered, the answer (status and body, byte for byte), until `expiresAt`
 * (IDEMPOTENCY_TTL after the claim); the sweep deletes it then. The key itself is not stored, only its
 * hash, and the answer is encrypted under a key derived from it (src/idempotency/idempotency.store.ts):
 * an answer may hold a secret shown once (a new customer's temporary password), which a copy of the
 * database must not reveal.
 */
export class IdempotencyRecord {
  /** the caller: `<kind>:<partnerId or customerId>:<userId>` (principalKey) */
  principal: string;
  /** the SHA-256 (hex) of the key as sent (1–255 printable ASCII characters, compared exactly) */
  keyHash: string;
  /** the SHA-256 (hex) of the raw request body that claimed the key */
  requestHash: string;
  state: IdempotencyState;
  /** the answer's HTTP status, once DONE */
  responseStatus: number | null;
  /** the answer's body (UTF-8 JSON) as sent, sealed (AES-256-GCM under the key's own key), once DONE */
  responseBody: string | null;
  /** when the current claim was made (a claim taken over after the lease renews it) */
  createdAt: Date;
  expiresAt: Date;
}

/**
 * The table, by database: a stored answer may be larger than MySQL's TEXT (64 KB), so it is a
 * MEDIUMTEXT there (16 MB); SQLite has one text type. A schema rather than decorators because a
 * decorator's column type cannot depend on the database (SQLite refuses `mediumtext`).
 */
export function idempotencyEntity(dbType: AppConfig['dbType']): EntitySchema<IdempotencyRecord> {
  return new EntitySchema<IdempotencyRecord>({
    name: 'IdempotencyRecord',
    target: IdempotencyRecord,
    tableName: 'idempotency_key',
    columns: {
      // utf8mb4_bin / ascii_bin on MySQL (the migration): both compare exactly, as they do here
      principal: { type: 'varchar', length: 255, primary: true },
      keyHash: { type: 'varchar', length: 64, primary: true },
      requestHash: { type: 'varchar', length: 64 },
      state: { type: 'varchar', length: 16 },
      responseStatus: { type: 'int', nullable: true },
      responseBody: { type: dbType === 'mysql' ? 'mediumtext' : 'text', nullable: true },
      // as every entity's timeColumn (src/common/columns.ts)
      createdAt: { type: 'datetime', precision: 3 },
      expiresAt: { type: 'datetime', precision: 3 },
    },
    indices: [{ name: 'IDX_idempotency_key_expires', columns: ['expiresAt'] }],
  });
}
