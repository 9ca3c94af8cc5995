/**
 * The bare baseline of bench/fanout.ts and bench/pushes.ts: a plain `ws` server that speaks just enough
 * graphql-transport-ws (ack; a subscribe's id is kept) and
 * - on POST /broadcast, sends the posted text to every socket (bench/fanout.ts);
 * - on POST /next, sends a `next` message with the posted JSON as its payload to every socket that
 *   subscribed, with its subscription id: serialized once per distinct id (one string for sockets that
 *   all used the same id), the posted payload itself never parsed (bench/pushes.ts).
 * No GraphQL, no database: the floor any server's push is measured against.
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.argv[2] ?? 4701);
const subscriptionIds = new WeakMap<WebSocket, string>();
const server = createServer((req, res) => {
  if (req.method !== 'POST' || (req.url !== '/broadcast' && req.url !== '/next')) {
    res.statusCode = 404;
    res.end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (req.url === '/broadcast') {
      for (const socket of wss.clients) socket.send(body);
    } else {
      const messages = new Map<string, string>();
      for (const socket of wss.clients) {
        const id = subscriptionIds.get(socket);
        if (id === undefined) continue;
        let message = messages.get(id);
        if (message === undefined) messages.set(id, (message = `{"id":${JSON.stringify(id)},"type":"next","payload":${body}}`));
        socket.send(message);
      }
    }
    res.end('ok');
  });
});
const wss = new WebSocketServer({ server, path: '/graphql' });
wss.on('connection', (socket) => {
  socket.on('message', (data) => {
    const msg = JSON.parse((data as Buffer).toString()) as { type: string; id?: string };
    if (msg.type === 'connection_init') socket.send(JSON.stringify({ type: 'connection_ack' }));
    else if (msg.type === 'subscribe' && typeof msg.id === 'string') subscriptionIds.set(socket, msg.id);
  });
});
server.listen(port, () => console.log('ready'));
