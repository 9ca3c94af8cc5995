import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { type EntityManager, LessThanOrEqual } from 'typeorm';
import type { Principal } from '../common/auth/principal';
import type { AppDeps } from '../common/context';
import { inTransaction, isUniqueViolation } from '../common/database';
import { IdempotencyRecord, IdempotencyState } from './idempotency.entity';

declare module '../context' {
  interface Services {
    idempotency: IdempotencyStore;
  }
}

/**
 * How long a claim holds while its mutation runs: far longer than a mutation takes. A request with the
 * key after that finds the claim's server gone (it crashed, or was stopped before the answer: nothing
 * stored, nothing released) and runs the mutation itself.
 */
export const IDEMPOTENCY_LEASE_MS = 60_000;

/** The caller a key belongs to: its kind, its partner or customer, its user. */
export function principalKey(principal: Principal): string {
  return `${principal.kind}:${principal.partnerId ?? principal.customerId ?? ''}:${principal.userId}`;
}

/** The row of a caller's key: the key is stored as its hash only. */
function rowId(principal: string, key: string) {
  return { principal, keyHash: createHash('sha256').update(`idempotency-key:${key}`).digest('hex') };
}

/**
 * The key that seals a key's stored answer: derived from the Idempotency-Key itself, which only its
 * caller holds and sends again with each retry. The table alone (a backup, a dump) reveals no answer.
 */
function answerKey(principal: string, key: string): Buffer {
  return createHash('sha256').update(`idempotency-answer:${principal}\n${key}`).digest();
}

function seal(plain: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), data].map((b) => b.toString('base64url')).join('.');
}

function open(sealed: string, key: Buffer): string {
  const [iv, tag, data] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'));
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(data), decipher.final()]).toString('utf8');
}

/** What a request with a key may do: run (it holds the claim), replay the stored answer, or be refused. */
export type Claim =
  | { outcome: 'claimed' }
  | { outcome: 'replay'; status: number; body: string }
  /** the key was claimed by a request with another body: 422 */
  | { outcome: 'reused' }
  /** the request that claimed the key is still running: 409 */
  | { outcome: 'in-use' };

/**
 * The `idempotency_key` table. A claim is an INSERT: the primary key (principal, key) lets one request
 * in, across every server on the database. Times are the wall clock's (`deps.tokenClock`, which a test
 * replaces): a key's life is retention, not a business rule the test clock moves.
 */
export class IdempotencyStore {
  constructor(private readonly deps: AppDeps) {}

  private now(): number {
    return this.deps.tokenClock.now();
  }

  /**
   * One statement on its own. SQLite is one connection: a statement run while another request's
   * transaction is open would join it (and go with its rollback), so there it takes its turn as a
   * transaction (src/common/database.ts `inTransaction`); MySQL runs it on its own (autocommit).
   */
  private write<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.deps.ds.options.type === 'better-sqlite3' ? inTransaction(this.deps.ds, work) : work(this.deps.ds.manager);
  }

  /** Claims `key` for `principal` and the request of hash `requestHash`, or says why not. */
  async claim(principal: string, key: string, requestHash: string): Promise<Claim> {
    const id = rowId(principal, key);
    // a lost race (the row went between our INSERT and our read) is tried again, a few times
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.now();
      const row: IdempotencyRecord = {
        ...id,
        requestHash,
        state: IdempotencyState.IN_PROGRESS,
        responseStatus: null,
        responseBody: null,
        createdAt: new Date(now),
        expiresAt: new Date(now + this.deps.config.idempotencyTtlMs),
      };
      try {
        await this.write((em) => em.insert(IdempotencyRecord, row));
        return { outcome: 'claimed' };
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
      const found = await this.deps.ds.manager.findOneBy(IdempotencyRecord, id);
      if (!found) continue; // released meanwhile (its request was refused, or it expired): claim again
      if (found.expiresAt.getTime() <= now) {
        // expired, not swept yet: as if there were none (the condition keeps a fresh claim made meanwhile)
        await this.write((em) => em.delete(IdempotencyRecord, { ...id, expiresAt: LessThanOrEqual(new Date(now)) }));
        continue;
      }
      if (found.requestHash !== requestHash) return { outcome: 'reused' };
      if (found.state === IdempotencyState.DONE) {
        return { outcome: 'replay', status: found.responseStatus ?? 200, body: open(found.responseBody ?? '', answerKey(principal, key)) };
      }
      if (found.createdAt.getTime() > now - IDEMPOTENCY_LEASE_MS) return { outcome: 'in-use' };
      // the claim outlived its lease: its server is gone. Taken over by one request (the condition),
      // whichever server it reached first.
      const stale = new Date(now - IDEMPOTENCY_LEASE_MS);
      const taken = await this.write((em) =>
        em.update(
          IdempotencyRecord,
          { ...id, state: IdempotencyState.IN_PROGRESS, requestHash, createdAt: LessThanOrEqual(stale) },
          { createdAt: new Date(now), expiresAt: new Date(now + this.deps.config.idempotencyTtlMs) },
        ),
      );
      return taken.affected ? { outcome: 'claimed' } : { outcome: 'in-use' };
    }
    return { outcome: 'in-use' };
  }

  /** Stores the answer of the request that holds the claim: the key is DONE and replays it from now on. */
  async finish(principal: string, key: string, requestHash: string, status: number, body: string): Promise<void> {
    await this.write((em) =>
      em.update(
        IdempotencyRecord,
        { ...rowId(principal, key), requestHash, state: IdempotencyState.IN_PROGRESS },
        { state: IdempotencyState.DONE, responseStatus: status, responseBody: seal(body, answerKey(principal, key)) },
      ),
    );
  }

  /** Gives the claim up (nothing ran, or the answer is not one to replay): the next request with the key runs. */
  async release(principal: string, key: string, requestHash: string): Promise<void> {
    await this.write((em) => em.delete(IdempotencyRecord, { ...rowId(principal, key), requestHash, state: IdempotencyState.IN_PROGRESS }));
  }

  /** The sweep (src/sweeps.ts): deletes the keys past their expiry; answers how many. */
  async sweep(): Promise<number> {
    const result = await this.write((em) => em.delete(IdempotencyRecord, { expiresAt: LessThanOrEqual(new Date(this.now())) }));
    return result.affected ?? 0;
  }
}
