import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; fields?: string[]; [k: string]: unknown };
}

export interface GqlResponse<T> {
  status: number;
  data?: T | null;
  errors?: GqlError[];
}

/** Speaks GraphQL over HTTP POST to the real server, with the given bearer token. */
export class GqlClient {
  constructor(
    private readonly url: string,
    readonly token?: string,
  ) {}

  async raw<T = unknown>(body: unknown, headers: Record<string, string> = {}): Promise<GqlResponse<T>> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...headers,
      },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { data?: T; errors?: GqlError[] };
    return { status: res.status, ...json };
  }

  request<TData, TVars>(doc: TypedDocumentNode<TData, TVars>, variables?: TVars): Promise<GqlResponse<TData>> {
    return this.raw<TData>({ query: print(doc), variables });
  }

  /** Runs the operation and fails with the server's errors if there are any. */
  async data<TData, TVars>(doc: TypedDocumentNode<TData, TVars>, variables?: TVars): Promise<TData> {
    const res = await this.request(doc, variables);
    if (res.errors?.length || !res.data) {
      throw new Error(`GraphQL errors: ${JSON.stringify(res.errors ?? res)}`);
    }
    return res.data;
  }

  /** Runs the operation and returns its first error's code (fails if it succeeded). */
  async errorCode<TData, TVars>(doc: TypedDocumentNode<TData, TVars>, variables?: TVars): Promise<string | undefined> {
    const res = await this.request(doc, variables);
    if (!res.errors?.length) throw new Error(`expected an error, got ${JSON.stringify(res.data)}`);
    return res.errors[0].extensions?.code;
  }
}

export interface LiveSubscription<T> {
  events: T[];
  errors: unknown[];
  /** Resolves once `n` events arrived (rejects after `timeoutMs`). */
  waitFor(n: number, timeoutMs?: number): Promise<T[]>;
  dispose(): void;
}

/** A graphql-ws client over a real WebSocket, authenticated in connection_init. */
export class WsClient {
  readonly client: Client;
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly connected: Promise<void>;

  constructor(url: string, token?: string) {
    let onClosed!: (v: { code: number; reason: string }) => void;
    let onConnected!: () => void;
    this.closed = new Promise((r) => (onClosed = r));
    this.connected = new Promise((r) => (onConnected = r));
    this.client = createClient({
      url,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      on: {
        connected: () => onConnected(),
        closed: (e) => {
          const ev = e as { code?: number; reason?: string };
          onClosed({ code: ev?.code ?? 0, reason: String(ev?.reason ?? '') });
        },
      },
      onNonLazyError: () => {},
    });
  }

  ready(): Promise<void> {
    return this.connected;
  }

  subscribe<TData, TVars>(doc: TypedDocumentNode<TData, TVars>, variables?: TVars): LiveSubscription<TData> {
    const events: TData[] = [];
    const errors: unknown[] = [];
    const waiters: (() => void)[] = [];
    const dispose = this.client.subscribe<TData>(
      { query: print(doc), variables: variables as Record<string, unknown> | undefined },
      {
        next: (value) => {
          if (value.errors) errors.push(...value.errors);
          if (value.data) events.push(value.data);
          waiters.forEach((w) => w());
        },
        error: (err) => {
          errors.push(err);
          waiters.forEach((w) => w());
        },
        complete: () => {},
      },
    );
    return {
      events,
      errors,
      dispose,
      waitFor: (n, timeoutMs = 5000) =>
        new Promise((resolve, reject) => {
          const check = () => {
            if (events.length >= n) {
              clearTimeout(timer);
              resolve(events);
            }
          };
          const timer = setTimeout(
            () => reject(new Error(`waited ${timeoutMs}ms for ${n} events, got ${events.length}: ${JSON.stringify(errors)}`)),
            timeoutMs,
          );
          waiters.push(check);
          check();
        }),
    };
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }
}

/**
 * Sends one operation over the given (fresh) socket and returns its first answer, or `{}` when none
 * comes within `waitMs` (an accepted subscription just waits); the socket is closed after.
 */
export async function firstAnswerOverSocket(
  ws: WsClient,
  query: string,
  variables?: Record<string, unknown>,
  waitMs = 1500,
): Promise<{ data?: unknown; errors?: GqlError[] }> {
  await ws.ready();
  const result = await new Promise<{ data?: unknown; errors?: GqlError[] }>((resolve) => {
    const timer = setTimeout(() => resolve({}), waitMs);
    ws.client.subscribe(
      { query, variables },
      {
        next: (v) => {
          clearTimeout(timer);
          resolve(v as { data?: unknown; errors?: GqlError[] });
        },
        error: (e) => {
          clearTimeout(timer);
          resolve({ errors: e as GqlError[] });
        },
        complete: () => {},
      },
    );
  });
  await ws.close();
  return result;
}
