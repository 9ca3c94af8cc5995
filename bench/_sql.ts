import { seedProvider } from './seed';
import { startBenchServer } from './support';
import { DASHBOARD_QUERY } from './dashboard';
async function main() {
  const server = await startBenchServer(4641, { SQLITE_PATH: '/tmp/prof/dash.sqlite', LOG_LEVEL: 'info' });
  const data = await seedProvider(server.url, 1000, 0);
  require('fs').writeFileSync('/tmp/prof/data.json', JSON.stringify(data));
  await server.stop();
}
main();
