import { spawn, spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import Redis from 'ioredis';

/**
 * Whether redis-server can run here. Without it the Redis tests are skipped with a printed reason,
 * unless REQUIRE_REDIS=1 (set by .ci/run, which installs it), where its absence is a failure.
 */
export function redisAvailable(file = 'test/redis-fanout.e2e.test.ts', what = 'the cross-instance Redis test does'): boolean {
  const present = !spawnSync('redis-server', ['--version']).error;
  if (!present && process.env.REQUIRE_REDIS === '1') {
    throw new Error('REQUIRE_REDIS=1 but redis-server is not installed (apt-get install -y redis-server)');
  }
  if (!present) {
    // straight to stderr: jest drops the console output of a file whose tests are all skipped
    process.stderr.write(
      `\nSKIPPED ${file}: redis-server is not installed, so ${what} not run here (apt-get install -y redis-server; .ci/run installs it and forbids this skip).\n`,
    );
  }
  return present;
}

/**
 * Starts a throwaway redis-server on a random loopback port (no persistence) and stops it after.
 * Needs the redis-server binary (Debian: apt-get install redis-server; .ci/run installs it).
 */
export async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server is not installed: apt-get install -y redis-server (CI installs it in .ci/run)');
  }
  const port = randomInt(20000, 40000);
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  probe.on('error', () => {});
  for (let i = 0; i < 50; i++) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch {
      probe.disconnect();
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  probe.disconnect();
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
