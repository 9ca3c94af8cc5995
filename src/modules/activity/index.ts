import { defineModule } from '../module';
import './activity.scope';
import { ActivityResolver } from './activity.resolver';
import { ActivityService } from './activity.service';

declare module '../../context' {
  interface Services {
    activity: ActivityService;
  }
}

/** The audit trail's read side: `activities`, its filters and export (the records are the change primitive's, src/changes/). */
export const activityModule = defineModule({
  name: 'activity',
  resolvers: [ActivityResolver],
  services: ({ deps }) => ({ activity: new ActivityService(deps) }),
  sweep: ({ activity }) => activity.sweepRetention(),
});
