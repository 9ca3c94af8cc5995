import { seedProvider } from './seed';
import { startBenchServer } from './support';
import { DASHBOARD_QUERY, load } from './dashboard';
async function main() {
  const server = await startBenchServer(4640, {}, ['--cpu-prof', '--cpu-prof-dir=/tmp/prof']);
  const data = await seedProvider(server.url, 1000, 0);
  await load(server.url, data.providerToken, DASHBOARD_QUERY, 10, 2);
  const r = await load(server.url, data.providerToken, DASHBOARD_QUERY, 10, 8);
  console.log(r);
  await server.stop();
}
main();
