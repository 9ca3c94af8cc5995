import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { seedProvider } from './seed';
import { startBenchServer } from './support';
import { DASHBOARD_QUERY, load } from './dashboard';
async function main() {
  const file = '/tmp/prof/dash2.sqlite';
  if (!existsSync(file)) {
    const s = await startBenchServer(4639, { SQLITE_PATH: file });
    writeFileSync('/tmp/prof/data2.json', JSON.stringify(await seedProvider(s.url, 1000, 0)));
    await s.stop();
  }
  const data = JSON.parse(readFileSync('/tmp/prof/data2.json', 'utf8'));
  const server = await startBenchServer(4640, { SQLITE_PATH: file }, process.argv.includes('--prof') ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : []);
  await load(server.url, data.providerToken, DASHBOARD_QUERY, 10, 2);
  const r = await load(server.url, data.providerToken, DASHBOARD_QUERY, 10, 8);
  console.log(r);
  await server.stop();
}
main();
