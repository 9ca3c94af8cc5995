import { defineModule } from '../module';
import * as clockChanges from './clock.changes';
import { ClockResolver } from './clock.resolver';
import { ServerClock } from './server-clock.entity';

/** The server's time, and the test clock (TEST_CLOCK=true) that moves it forward for tests and integrators. */
export const clockModule = defineModule({
  name: 'clock',
  entities: [ServerClock],
  resolvers: [ClockResolver],
  changes: Object.values(clockChanges),
});
