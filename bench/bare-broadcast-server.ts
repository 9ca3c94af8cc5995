/**
 * The bare baseline of bench/fanout.ts: a plain `ws` server that speaks just enough graphql-transport-ws
 * (ack, then nothing) and, on POST /broadcast, sends the posted text to every socket. No GraphQL, no
 * database: the floor any server's push is measured against.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 4701);
const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/broadcast') {
    res.statusCode = 404;
    res.end();
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const message = Buffer.concat(chunks).toString('utf8');
    for (const socket of wss.clients) socket.send(message);
    res.end('ok');
  });
});
const wss = new WebSocketServer({ server, path: '/graphql' });
wss.on('connection', (socket) => {
  socket.on('message', (data) => {
    const msg = JSON.parse((data as Buffer).toString()) as { type: string };
    if (msg.type === 'connection_init') socket.send(JSON.stringify({ type: 'connection_ack' }));
  });
});
server.listen(port, () => console.log('ready'));
