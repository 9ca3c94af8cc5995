import type { DataSource, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import type { AfterQueryEvent, BeforeQueryEvent } from 'typeorm/subscriber/event/QueryEvent';
import { queryCounter } from '../common/database';

/**
 * Times every SQL statement TypeORM runs (its query events: a start before, an end after, in order on
 * each query runner) and every direct read (src/common/sqlite-direct.ts), handing each duration in
 * seconds to `observe` (the metrics' db_query_duration_seconds). TypeORM's own `executionTime` counts
 * whole milliseconds, too coarse for SQLite's statements, hence the clock here.
 */
export function timeQueries(ds: DataSource, observe: (seconds: number) => void): void {
  const started = new WeakMap<QueryRunner, bigint[]>();
  const subscriber: EntitySubscriberInterface = {
    beforeQuery(event: BeforeQueryEvent) {
      let queue = started.get(event.queryRunner);
      if (!queue) started.set(event.queryRunner, (queue = []));
      queue.push(process.hrtime.bigint());
    },
    afterQuery(event: AfterQueryEvent) {
      const at = started.get(event.queryRunner)?.shift();
      if (at !== undefined) observe(Number(process.hrtime.bigint() - at) / 1e9);
    },
  };
  ds.subscribers.push(subscriber);
  queryCounter(ds).timed = observe;
}
