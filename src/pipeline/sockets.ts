import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import type { WebSocket } from 'ws';
import type { Principal } from '../common/auth/principal';
import { tenantOf } from './budgets';
import type { AppConfig } from '../common/config';
import { logger } from '../common/logger';

/**
 * What one caller may hold on the WebSocket, beyond graphql-ws's own rules: the size of a message
 * (`WS_MAX_PAYLOAD`, ws's `maxPayload`), the length of a subscription id, the number of open sockets
 * per user (a socket without a token is refused at once, 4401), the bytes a socket may have unsent,
 * and which browser pages may open one at all. Each socket costs memory for as long as it is open (its subscriptions,
 * what it has not read yet), so each of these bounds what a caller can make the server keep.
 */

/** A subscription id is the client's name for it, repeated in every message: a short name suffices. */
export const MAX_SUBSCRIPTION_ID_LENGTH = 128;

/**
 * The close codes the server itself sends (README, "WebSocket close codes", lists these and the ones
 * graphql-ws and ws send). graphql-ws clients give up on 4400, 4401, 4429 and 1008 (no retry), and
 * retry 1013 (and 1001) with their backoff.
 */
export const SocketClose = {
  /** graphql-ws's own code for a message it refuses: a malformed x-request-id, a subscription id too long */
  BAD_REQUEST: 4400,
  /** graphql-ws's Unauthorized: no token, a bad or expired one, or the token expired while the socket lived */
  UNAUTHORIZED: 4401,
  /** one socket more than the user's share (graphql-ws's clients read 4429 as fatal: close a socket first) */
  TOO_MANY_SOCKETS: 4429,
  /** "try again later" (RFC 6455): a reader too slow for what it subscribed to; the token could not be checked now */
  TRY_AGAIN_LATER: 1013,
  /** RFC 6455's policy violation: a client that keeps subscribing past the per-socket limit */
  POLICY_VIOLATION: 1008,
  /** graphql-ws's SubscriberAlreadyExists: an id subscribed again while its first subscribe is still being set up */
  SUBSCRIBER_ALREADY_EXISTS: 4409,
} as const;

/**
 * How long a socket the server closes for its behaviour gets to read the close frame (behind what it
 * had not read yet) before the server drops the connection. graphql-ws sends nothing more on a socket
 * that is closing, so the grace holds at most the buffer the socket already had.
 */
const CLOSE_GRACE_MS = 2000;

/**
 * Closes a socket for its behaviour: says why (`code`, `reason`) and drops the connection after a
 * short grace whether or not the client answers, so that a client that does not read cannot keep the
 * socket (and its buffers) in the closing state for ws's 30 seconds. `stopReading`: for a client that
 * floods, nothing more it sent is read (nor its answer to the close: the grace ends it).
 */
export function shut(socket: WebSocket, code: number, reason: string, opts: { stopReading?: boolean } = {}): void {
  if (socket.readyState !== socket.OPEN) return;
  socket.close(code, reason);
  if (opts.stopReading) socket.pause();
  const timer = setTimeout(() => socket.terminate(), CLOSE_GRACE_MS);
  timer.unref();
  // no timer left holding a socket that closed meanwhile
  socket.once('close', () => clearTimeout(timer));
}

/**
 * ws's `connection` listener, added after graphql-ws's: ws reports a client's protocol error (a
 * message over `WS_MAX_PAYLOAD`, a malformed frame) as an `error` on the socket after closing it
 * itself (1009, 1002…); graphql-ws prints each to stderr as an internal error. One warning line
 * instead, so that a client cannot fill the server's error log.
 */
export function quietClientErrors(socket: WebSocket): void {
  socket.removeAllListeners('error');
  socket.on('error', (err: Error & { code?: string }) => logger.warn({ code: err.code, message: err.message }, 'WebSocket closed for a protocol error'));
}

/**
 * A slow consumer: the socket has more than `maxBuffered` bytes it could not hand to the network yet
 * (the client stopped reading, or reads slower than its subscriptions produce). Called before every
 * message the server pushes; such a socket is shut (1013), and once dropped its subscriptions end and
 * their listeners leave the event hub (graphql-ws returns them on close).
 */
export function shutIfSlow(socket: WebSocket, maxBuffered: number): boolean {
  if (socket.readyState !== socket.OPEN || socket.bufferedAmount <= maxBuffered) return false;
  shutSlow(socket);
  return true;
}

/**
 * Shuts a slow consumer (1013). Also called when one of the socket's live streams falls too far
 * behind (src/events/hub.ts): a reader that stopped reading can stall the socket's writes with less
 * than `WS_MAX_BUFFERED` unsent (graphql-ws waits for each write to reach the network before the
 * next push), so its buffer alone would not tell; the events it does not take pile up in the hub.
 */
export function shutSlow(socket: WebSocket): void {
  if (socket.readyState !== socket.OPEN) return;
  shut(socket, SocketClose.TRY_AGAIN_LATER, 'Slow consumer: too much unread data; reconnect and resume with events(after:)');
}

/**
 * Whose share of sockets a socket counts against: the signed-in user (the partner or customer and the
 * token's subject, the operator by subject). A socket without a token is refused before it counts.
 */
export function socketOwner(principal: Principal): string {
  if (principal.kind === 'operator') return `operator:${principal.userId}`;
  return `${principal.kind}:${principal.partnerId ?? principal.customerId ?? ''}:${principal.userId}`;
}

/**
 * Open sockets per owner (`socketOwner`), at most `limit` each. The count is taken once the socket
 * is authenticated and given back on ws's `close`, which comes once for every socket however it ends
 * (close handshake, the client vanishing, `terminate`); an owner with no socket left leaves the map.
 */
export class SocketCounter {
  private readonly open = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Counts the socket against `owner`: 'full' when the owner has its share already; 'closed' when the socket is gone. */
  admit(socket: WebSocket, owner: string): 'admitted' | 'full' | 'closed' {
    // closed while the token was being checked: its `close` has come and gone, so it must not count
    if (socket.readyState !== socket.OPEN) return 'closed';
    const count = this.open.get(owner) ?? 0;
    if (count >= this.limit) return 'full';
    this.open.set(owner, count + 1);
    socket.once('close', () => {
      const left = (this.open.get(owner) ?? 1) - 1;
      if (left > 0) this.open.set(owner, left);
      else this.open.delete(owner);
    });
    return 'admitted';
  }

  /** Owners with at least one socket (tests and benchmarks check that nothing stays behind). */
  get owners(): number {
    return this.open.size;
  }
}

/**
 * Live subscriptions per tenant (a partner's or a customer's users together, across their sockets on
 * this server), at most PARTNER_MAX_SUBSCRIPTIONS each; the operator's are not counted. `take` hands
 * back what gives the place back: it is called once the subscription ends (completed by either side,
 * or its socket closed), and a second call does nothing.
 */
export class TenantSubscriptions {
  private readonly live = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** A place for one more subscription of the caller's tenant, or undefined when it has `limit` already. */
  take(principal: Principal): (() => void) | undefined {
    const tenant = tenantOf(principal)?.key;
    if (!tenant) return () => {};
    const count = this.live.get(tenant) ?? 0;
    if (count >= this.limit) return undefined;
    this.live.set(tenant, count + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      const left = (this.live.get(tenant) ?? 1) - 1;
      if (left > 0) this.live.set(tenant, left);
      else this.live.delete(tenant);
    };
  }

  /** The live subscriptions of a tenant (`partner:<id>` or `customer:<id>`). */
  count(tenant: string): number {
    return this.live.get(tenant) ?? 0;
  }
}

/**
 * ws's `verifyClient`: a browser (it sends `Origin`) may open a socket only from an origin of
 * `CORS_ORIGINS` (`*`: any), as for HTTP, so that a page elsewhere cannot open a socket with a
 * token it holds; anything else is refused at the upgrade (403, no socket). A client that is not a
 * browser sends no Origin and is not concerned (its token is what counts).
 */
export function originCheck(config: Pick<AppConfig, 'corsOrigins'>) {
  const allowed = config.corsOrigins === '*' ? null : new Set(config.corsOrigins);
  return (info: { origin?: string }, done: (ok: boolean, code?: number, message?: string, headers?: Record<string, string>) => void) => {
    if (!allowed || info.origin === undefined || allowed.has(info.origin)) return done(true);
    done(false, 403, JSON.stringify({ errors: [{ message: 'This origin may not open a WebSocket here', extensions: { code: 'FORBIDDEN' } }] }), {
      'Content-Type': 'application/json',
    });
  };
}

/**
 * The caller's address as Express's `req.ip` reads it (`TRUST_PROXY`: the client behind the proxy),
 * for an upgrade request that never goes through Express. `appRequest` is the app's `request`
 * prototype, which carries the app's trust setting.
 */
export function clientAddress(appRequest: Request): (req: IncomingMessage) => string {
  return (req) =>
    (Object.create(appRequest, { headers: { value: req.headers }, socket: { value: req.socket } }) as Request).ip ?? req.socket.remoteAddress ?? '';
}
