import { readFileSync } from 'node:fs';
import { startBenchServer } from './support';
import { load } from './dashboard';
async function main() {
  const data = JSON.parse(readFileSync('/tmp/prof/data2.json', 'utf8'));
  const server = await startBenchServer(4640, { SQLITE_PATH: '/tmp/prof/dash2.sqlite' });
  for (const q of ['{ __typename }', '{ viewer { roles } }', '{ customers(first: 50) { totalCount } }', '{ customers(first: 50) { edges { node { id } } } }', '{ customers(first: 50) { edges { node { id companyName domain cloud address { city country } } } } }', '{ customers(first: 50) { edges { node { id relationship { status establishedAt } } } } }']) {
    await load(server.url, data.providerToken, q, 10, 1);
    const r = await load(server.url, data.providerToken, q, 10, 4);
    console.log(r.rps.toFixed(0), q);
  }
  await server.stop();
}
main();
