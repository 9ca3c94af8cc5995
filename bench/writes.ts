/**
 * Event-producing writes on MySQL/MariaDB against a bare write baseline, in the same run on the same database.
 *
 *   NODE_ENV=production MYSQL_URL=mariadb://pc:…@127.0.0.1:3307/partner_center npm run bench:writes -- --writers 4,10,40
 *
 * Seeds `partners` direct resellers (default: as many as the most writers), each with customers holding one
 * subscription, one subscription per writer, spread over the partners (writer i belongs to partner i mod
 * partners). Each writer then changes its own subscription's quantity (2, 1, 2, …) with `updateSubscription`
 * over HTTP, one call after the other, for `duration` seconds: one transaction each, with its conditional
 * UPDATE, its audit record, its event and audience rows, and the counters.
 *
 * The bare baseline writes the same rows with a raw `mysql2` transaction of prepared statements (the
 * subscription's UPDATE, an INSERT of the audit record, of the event and of its audience rows, copied from
 * what the server wrote for the same change), one connection per writer, positions from a counter in the
 * process: no GraphQL, no checks, no counters, no ordering of commits. Bare and ours alternate, `rounds`
 * times for each number of writers. Prints writes/s, p50, p99, the ratio ours / bare for each number of
 * writers, and how each grows from the fewest writers to the most.
 */
import { randomUUID } from 'node:crypto';
import { createPool, type Pool, type RowDataPacket } from 'mysql2/promise';
import { signDevToken } from '../src/common/auth/jwt';
import { Role } from '../src/common/auth/roles';
import { CreateCustomerDocument, CreatePartnerDocument, OffersDocument, UpdateSubscriptionDocument } from '../test/generated/graphql';
import { GqlClient } from '../test/support/client';
import { customerInput, uniqueMpnId } from '../test/support/factories';
import { freshMysqlDatabase } from './dashboard';
import { execSync } from 'node:child_process';
import { arg, BENCH_SECRET, cpuMs, percentile, pool, startBenchServer } from './support';

interface Writer {
  client: GqlClient;
  subscriptionId: string;
  partnerId: string;
}

interface Result {
  rate: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU ms per write of the writing process (our server; the bench process for the bare writer) and of the database server */
  cpu: number;
  dbCpu: number;
  /** InnoDB's row lock waits per write, and the ms waited per write (Innodb_row_lock_waits, Innodb_row_lock_time) */
  lockWaits: number;
  lockMs: number;
}

/** InnoDB's counters of row lock waits and the ms spent waiting, server-wide. */
async function rowLocks(db: Pool): Promise<{ waits: number; ms: number }> {
  const [rows] = await db.query<RowDataPacket[]>(`SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_row_lock_waits', 'Innodb_row_lock_time')`);
  const value = (name: string) => Number(rows.find((r) => r.Variable_name === name)?.Value ?? 0);
  return { waits: value('Innodb_row_lock_waits'), ms: value('Innodb_row_lock_time') };
}

/** The database server's process (mariadbd or mysqld) on this machine, if there is one, for its CPU time. */
function databasePid(): number | undefined {
  try {
    return Number(execSync('pgrep -o -x mariadbd || pgrep -o -x mysqld').toString().trim()) || undefined;
  } catch {
    return undefined;
  }
}

function list(name: string, fallback: number[]): number[] {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1].split(',').map(Number) : fallback;
}

/** Runs `writers` loops of `write` for `seconds`; each loop waits for its write before the next. */
async function drive(pool: Pool, writers: number, seconds: number, write: (w: number, n: number) => Promise<void>, pid = process.pid): Promise<Result> {
  const locksBefore = await rowLocks(pool);
  const db = databasePid();
  const cpuBefore = cpuMs(pid);
  const dbBefore = db ? cpuMs(db) : 0;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: unknown;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let n = 0; performance.now() < end; n++) {
        const t = performance.now();
        try {
          await write(w, n);
          latencies.push(performance.now() - t);
        } catch (err) {
          errors++;
          firstError ??= err;
        }
      }
    }),
  );
  if (firstError) console.error(`first error: ${String((firstError as Error).message ?? firstError).slice(0, 400)}`);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const cpu = (cpuMs(pid) - cpuBefore) / latencies.length;
  const dbCpu = db ? (cpuMs(db) - dbBefore) / latencies.length : NaN;
  const locks = await rowLocks(pool);
  const lockWaits = (locks.waits - locksBefore.waits) / latencies.length;
  const lockMs = (locks.ms - locksBefore.ms) / latencies.length;
  return { rate: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors, cpu, dbCpu, lockWaits, lockMs };
}

/** The same rows the server writes for one updateSubscription, with a raw mysql2 transaction. */
class BareWriter {
  private position = 0;
  private activity!: Record<string, unknown>;
  private event!: Record<string, unknown>;
  private audience: string[] = [];
  private saved: RowDataPacket[] = [];

  constructor(private readonly db: Pool) {}

  /** Copies the audit record and event the server wrote for a quantity change; positions continue after the last. */
  async prepare(): Promise<void> {
    const [[activity]] = await this.db.query<RowDataPacket[]>(`SELECT * FROM activity WHERE action = 'SUBSCRIPTION_UPDATED' ORDER BY occurredAt DESC LIMIT 1`);
    const [[event]] = await this.db.query<RowDataPacket[]>(`SELECT * FROM event WHERE type = 'SUBSCRIPTION_UPDATED' ORDER BY position DESC LIMIT 1`);
    if (!activity || !event) throw new Error('no SUBSCRIPTION_UPDATED audit record or event to copy');
    this.activity = { ...activity };
    this.event = { ...event, publishedAt: new Date() };
    this.audience = String(event.audience).split(',');
    const [[max]] = await this.db.query<RowDataPacket[]>('SELECT MAX(position) AS p FROM event');
    this.position = Number(max.p);
    [this.saved] = await this.db.query<RowDataPacket[]>('SELECT id, quantity, licenseWindows, updatedAt FROM subscription');
  }

  /** Leaves the database as the server expects it: the sequence after the last position written. */
  async finish(): Promise<void> {
    await this.db.query(`UPDATE event_sequence SET position = GREATEST(position, ?) WHERE name = 'events'`, [this.position]);
    // the subscriptions as the server left them (the bare writer changes quantities without their licence windows)
    for (const row of this.saved) {
      await this.db.execute('UPDATE subscription SET quantity = ?, licenseWindows = ?, updatedAt = ? WHERE id = ?', [
        row.quantity,
        row.licenseWindows,
        row.updatedAt,
        row.id,
      ]);
    }
  }

  async write(subscriptionId: string, quantity: number): Promise<void> {
    const conn = await this.db.getConnection();
    try {
      const at = new Date();
      const position = ++this.position;
      await conn.query('BEGIN');
      await conn.execute('UPDATE subscription SET quantity = ?, updatedAt = ? WHERE id = ?', [quantity, at, subscriptionId]);
      const activity = { ...this.activity, id: randomUUID(), occurredAt: at, subjectId: subscriptionId };
      await conn.execute(
        `INSERT INTO activity (${Object.keys(activity).join(', ')}) VALUES (${Object.keys(activity)
          .map(() => '?')
          .join(', ')})`,
        Object.values(activity),
      );
      const event = { ...this.event, position, id: randomUUID(), occurredAt: at, subscriptionId };
      await conn.execute(
        `INSERT INTO event (${Object.keys(event).join(', ')}) VALUES (${Object.keys(event)
          .map(() => '?')
          .join(', ')})`,
        Object.values(event),
      );
      await conn.execute(
        `INSERT INTO event_audience (audience, position) VALUES ${this.audience.map(() => '(?, ?)').join(', ')}`,
        this.audience.flatMap((a) => [a, position]),
      );
      await conn.query('COMMIT');
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      conn.release();
    }
  }
}

async function seed(url: string, writers: number, partners: number): Promise<Writer[]> {
  const operator = new GqlClient(url, await signDevToken(BENCH_SECRET, { sub: 'bench-op', roles: [Role.PLATFORM_ADMIN] }));
  const { offers } = await operator.data(OffersDocument);
  const offer = offers.find((o) => o.minQuantity <= 1 && o.maxQuantity >= 10)!;
  const owners = await Promise.all(
    Array.from({ length: partners }, async (_, i) => {
      const { createPartner } = await operator.data(CreatePartnerDocument, {
        input: { name: `Bench Writer ${i} Ltd`, mpnId: uniqueMpnId(), type: 'DIRECT_RESELLER', cloud: 'PUBLIC', contactEmail: 'bench@partner.example' },
      });
      const id = createPartner.partner.id;
      return { id, client: new GqlClient(url, await signDevToken(BENCH_SECRET, { sub: `bench-${id}`, roles: [Role.GLOBAL_ADMIN], partnerId: id })) };
    }),
  );
  const out: Writer[] = [];
  await pool(
    Array.from({ length: writers }, (_, i) => i),
    8,
    async (i) => {
      const owner = owners[i % partners];
      const { createCustomer } = await owner.client.data(CreateCustomerDocument, {
        input: customerInput({ companyName: `Bench Writes ${i} Corporation`, subscriptions: [{ offerId: offer.id, quantity: 1 }] }),
      });
      out[i] = { client: owner.client, partnerId: owner.id, subscriptionId: createCustomer.customer.subscriptions.edges[0].node.id };
    },
  );
  return out;
}

async function main() {
  const counts = list('writers', [4, 10, 40]);
  const most = Math.max(...counts);
  const partners = arg('partners', most);
  const seconds = arg('duration', 10);
  const rounds = arg('rounds', 2);
  const url = await freshMysqlDatabase('pc_bench_writes');
  const server = await startBenchServer(arg('port', 4640), { DB_TYPE: 'mysql', MYSQL_URL: url, PARTNER_RATE_LIMIT: '0', USER_RATE_LIMIT: '0' });
  const db = createPool({ uri: url.replace(/^mariadb:/, 'mysql:'), timezone: 'Z', connectionLimit: most });
  try {
    console.log(`seeding ${partners} partners and ${most} subscriptions through the API…`);
    const writers = await seed(server.url, most, partners);
    const quantity = (n: number) => 2 - (n % 2);
    // each writer's subscription goes 1 → 2 → 1 … across the runs (a decrease within 168 hours of the increase is allowed)
    const made = new Array<number>(most).fill(0);
    const ours = async (w: number) => {
      await writers[w].client.data(UpdateSubscriptionDocument, { input: { subscriptionId: writers[w].subscriptionId, quantity: quantity(made[w]) } });
      made[w]++;
    };
    // warm up, and the rows the bare writer copies
    await drive(db, most, 2, ours);
    const bare = new BareWriter(db);
    const results = new Map<number, { ours: Result[]; bare: Result[] }>(counts.map((c) => [c, { ours: [], bare: [] }]));
    for (let round = 0; round < rounds; round++) {
      for (const count of counts) {
        await bare.prepare();
        const b = await drive(db, count, seconds, (w, n) => bare.write(writers[w].subscriptionId, quantity(n + 1)));
        await bare.finish();
        // the server's hub catches up with the positions the bare writer took before ours writes again
        await new Promise((r) => setTimeout(r, 3000));
        const o = await drive(db, count, seconds, ours, server.pid);
        results.get(count)!.bare.push(b);
        results.get(count)!.ours.push(o);
        console.log(`round ${round + 1}, ${count} writers: ours ${o.rate.toFixed(0)}/s, bare ${b.rate.toFixed(0)}/s`);
      }
    }
    const mean = (rs: Result[], pick: (r: Result) => number) => rs.reduce((s, r) => s + pick(r), 0) / rs.length;
    console.log(
      `\nNODE_ENV=${process.env.NODE_ENV ?? 'development'}, MariaDB, updateSubscription, ${partners} partners, ${rounds} rounds × ${seconds} s, means of rounds`,
    );
    console.log(
      '| writers | ours writes/s | p50 ms | p99 ms | CPU ms/write (server, db) | row lock waits/write, ms/write | bare writes/s | p50 ms | p99 ms | CPU ms/write (bare, db) | ratio ours / bare |',
    );
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const [count, r] of results) {
      console.log(
        `| ${count} | ${mean(r.ours, (x) => x.rate).toFixed(0)} | ${mean(r.ours, (x) => x.p50).toFixed(1)} | ${mean(r.ours, (x) => x.p99).toFixed(1)} | ` +
          `${mean(r.ours, (x) => x.cpu).toFixed(2)}, ${mean(r.ours, (x) => x.dbCpu).toFixed(2)} | ` +
          `${mean(r.ours, (x) => x.lockWaits).toFixed(2)}, ${mean(r.ours, (x) => x.lockMs).toFixed(2)} | ` +
          `${mean(r.bare, (x) => x.rate).toFixed(0)} | ${mean(r.bare, (x) => x.p50).toFixed(1)} | ${mean(r.bare, (x) => x.p99).toFixed(1)} | ` +
          `${mean(r.bare, (x) => x.cpu).toFixed(2)}, ${mean(r.bare, (x) => x.dbCpu).toFixed(2)} | ` +
          `${(mean(r.ours, (x) => x.rate) / mean(r.bare, (x) => x.rate)).toFixed(2)} |`,
      );
    }
    const fewest = Math.min(...counts);
    const grow = (pick: (r: { ours: Result[]; bare: Result[] }) => Result[]) =>
      (mean(pick(results.get(most)!), (x) => x.rate) / mean(pick(results.get(fewest)!), (x) => x.rate)).toFixed(2);
    const errors = [...results.values()].flatMap((r) => [...r.ours, ...r.bare]).reduce((s, r) => s + r.errors, 0);
    console.log(
      `\nwrites ratio ours/bare at ${most} writers: ${(mean(results.get(most)!.ours, (x) => x.rate) / mean(results.get(most)!.bare, (x) => x.rate)).toFixed(2)}`,
    );
    console.log(`growth ${fewest} → ${most} writers: ours ${grow((r) => r.ours)}×, bare ${grow((r) => r.bare)}×   errors: ${errors}`);
  } finally {
    await db.end();
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
