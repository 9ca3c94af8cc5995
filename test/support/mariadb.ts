import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';

/**
 * Whether a throwaway MariaDB can run here (mariadbd and mariadb-install-db). Without them the test is
 * skipped with a printed reason, unless REQUIRE_MARIADB=1 (set by .ci/run, which installs them), where
 * their absence is a failure.
 */
export function mariadbAvailable(file: string, what: string): boolean {
  const present = ['mariadbd', 'mariadb-install-db'].every((bin) => !spawnSync(bin, ['--version']).error);
  if (!present && process.env.REQUIRE_MARIADB === '1') {
    throw new Error('REQUIRE_MARIADB=1 but mariadbd is not installed (apt-get install -y mariadb-server)');
  }
  if (!present) {
    // straight to stderr: jest drops the console output of a file whose tests are all skipped
    process.stderr.write(
      `\nSKIPPED ${file}: mariadbd is not installed, so ${what} not run here (apt-get install -y mariadb-server; .ci/run installs it and forbids this skip).\n`,
    );
  }
  return present;
}

export interface ThrowawayMariadb {
  /** mariadb://… for a user of its own, on a database of its own */
  url: string;
  /** SIGTERM, and resolves once mariadbd has exited */
  stop(): Promise<void>;
  /** mariadbd again on the same data and port; resolves once it answers */
  start(): Promise<void>;
  /** SIGSTOP: the process holds its connections but answers nothing (a hung database); `thaw` resumes it */
  freeze(): void;
  thaw(): void;
  /** stops it (if running) and deletes its data */
  destroy(): Promise<void>;
}

/** A free loopback port, as the kernel hands one out. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A MariaDB server of the test's own (as .ci/mariadb.sh starts one): a data directory in a temporary
 * folder, a free port on 127.0.0.1, a database and a user. Never the shared server the other tests use.
 */
export async function startMariadb(): Promise<ThrowawayMariadb> {
  const dir = mkdtempSync(join(tmpdir(), 'pc-mariadb-'));
  const datadir = join(dir, 'data');
  const socket = join(dir, 'mariadb.sock');
  const user = userInfo().username;
  const install = spawnSync(
    'mariadb-install-db',
    [`--user=${user}`, `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve'],
    { encoding: 'utf8' },
  );
  if (install.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mariadb-install-db failed:\n${install.stdout}\n${install.stderr}`);
  }
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    output = '';
    const proc = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--user=${user}`,
        `--datadir=${datadir}`,
        `--socket=${socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        '--skip-log-bin',
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=32M',
        '--innodb-flush-log-at-trx-commit=2',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    proc.stdout?.on('data', (d) => (output += d));
    proc.stderr?.on('data', (d) => (output += d));
    // it answers on its socket once it has started (polled: bounded at 30 s)
    for (let i = 0; i < 300; i++) {
      if (proc.exitCode !== null) break;
      try {
        const conn = await mysql.createConnection({ socketPath: socket, user: 'root' });
        await conn.end();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    proc.kill('SIGKILL');
    throw new Error(`mariadbd did not start:\n${output}`);
  };
  const stop = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGCONT');
    proc.kill('SIGTERM');
    await exited;
  };

  try {
    await start();
    const admin = await mysql.createConnection({ socketPath: socket, user: 'root' });
    await admin.query('CREATE DATABASE partner_center CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    await admin.query("CREATE USER 'pc'@'127.0.0.1' IDENTIFIED BY 'pc-throwaway-password'");
    await admin.query("GRANT ALL PRIVILEGES ON partner_center.* TO 'pc'@'127.0.0.1'");
    await admin.end();
  } catch (err) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `mariadb://pc:pc-throwaway-password@127.0.0.1:${port}/partner_center`,
    stop,
    start,
    freeze: () => child?.kill('SIGSTOP'),
    thaw: () => child?.kill('SIGCONT'),
    destroy: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
