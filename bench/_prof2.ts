import { readFileSync } from 'node:fs';
import { startBenchServer } from './support';
import { load } from './dashboard';
async function main() {
  const data = JSON.parse(readFileSync('/tmp/prof/data2.json', 'utf8'));
  const server = await startBenchServer(4640, { SQLITE_PATH: '/tmp/prof/dash2.sqlite' }, ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']);
  const q = process.argv[2];
  await load(server.url, data.providerToken, q, 10, 1);
  const r = await load(server.url, data.providerToken, q, 10, 6);
  console.log(r.rps);
  await server.stop();
}
main();
