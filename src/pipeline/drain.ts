import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Server as NetServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestHandler, Response } from 'express';
import { requestIdOf } from './http';

/**
 * Graceful shutdown of the HTTP side. On `begin()`:
 * - no operation starts any more: a request that arrives, on a connection kept alive or a new one,
 *   answers 503 with `Connection: close` and `Retry-After`, so the client retries elsewhere instead
 *   of seeing a reset;
 * - requests already running finish and get their answer (with `Connection: close`): a write whose
 *   transaction committed is always acknowledged. `settle(graceMs)` waits for them, at most `graceMs`;
 * - then the listener closes (new connections are refused) and `closeConnections()` ends what is left
 *   (idle keep-alive sockets, and anything past the grace).
 *
 * Node's own `server.close()` also drops idle keep-alive connections at once, and with them connections
 * just accepted whose request has not been read yet: clients see resets. So a connection not yet past
 * its first request counts as running for up to FIRST_REQUEST_WAIT_MS (as in Go's
 * `http.Server.Shutdown`), and idle connections are closed only once nothing is running.
 */
/** the largest body read before a 503 (the GraphQL route's own limit) */
const MAX_BODY_READ = 256 * 1024;

/** how long a connection accepted just before the drain may take to send its first request */
const FIRST_REQUEST_WAIT_MS = 1000;

export class HttpDrain {
  private draining = false;
  /** responses not yet finished, of requests that arrived before the drain began */
  private readonly running = new Set<Response>();
  /** connections accepted whose first request has not arrived yet, with the time they were accepted */
  private readonly fresh = new Map<Socket, number>();

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.fresh.set(socket, Date.now());
      socket.once('close', () => this.fresh.delete(socket));
    });
    // a WebSocket's first request is its upgrade, which no middleware sees. Once draining, the socket
    // server is closed and no other listener takes the upgrade: it is refused here, or the connection
    // would stay open, owned by nobody
    server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
      this.fresh.delete(req.socket);
      if (this.draining)
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n', () => socket.destroy());
    });
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** A request answered before `middleware` (the health probes): its connection is past its first request. */
  seen(req: IncomingMessage): void {
    this.fresh.delete(req.socket);
  }

  /** The first middleware: counts requests in flight, and refuses new ones once draining. */
  readonly middleware: RequestHandler = (req, res, next) => {
    this.fresh.delete(req.socket);
    if (this.draining) {
      const refuse = () => {
        res.setHeader('Connection', 'close');
        res.setHeader('Retry-After', '1');
        res.status(503).type('application/json');
        res.send(
          JSON.stringify({
            errors: [{ message: 'The server is shutting down; retry the request', extensions: { code: 'SERVICE_UNAVAILABLE', requestId: requestIdOf(req) } }],
          }),
        );
      };
      // read the body first: closing a connection with unread data resets it, and the client would
      // see the reset instead of the answer (a body beyond what /graphql accepts is not waited for)
      if (req.complete || Number(req.headers['content-length'] ?? 0) > MAX_BODY_READ) return refuse();
      req.once('end', refuse).once('error', refuse).resume();
      return;
    }
    this.running.add(res);
    res.once('close', () => this.running.delete(res));
    next();
  };

  /** Stops accepting operations (503 from now on); requests in flight go on. */
  begin(): void {
    if (this.draining) return;
    this.draining = true;
    // answers still to be written tell the client not to reuse the connection
    for (const res of this.running) if (!res.headersSent) res.setHeader('Connection', 'close');
  }

  /**
   * Resolves when every request in flight has been answered, or after `graceMs` (true when all were),
   * then stops listening. Until then a connection that arrives is answered 503 too: closing the
   * listener earlier would reset the connections the kernel has already queued for it (seen under
   * load: most of 80 requests written just before SIGTERM were still in the backlog).
   */
  async settle(graceMs: number): Promise<boolean> {
    const until = Date.now() + graceMs;
    let settled = true;
    while (this.busy()) {
      if (Date.now() >= until) {
        settled = false;
        break;
      }
      await sleep(10);
    }
    // net.Server's close: stop listening without http.Server's closing of idle connections
    if (this.server.listening) NetServer.prototype.close.call(this.server);
    return settled;
  }

  private busy(): boolean {
    if (this.running.size > 0) return true;
    const since = Date.now() - FIRST_REQUEST_WAIT_MS;
    for (const acceptedAt of this.fresh.values()) if (acceptedAt > since) return true;
    return false;
  }

  /** Ends every connection left: idle keep-alive ones, and (past the grace) those still busy. */
  closeConnections(): void {
    this.server.closeAllConnections();
  }
}
