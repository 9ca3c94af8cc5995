import { ObjectType } from 'type-graphql';
import { ConnectionType } from '../../common/pagination';
import { Activity } from '../../changes/activity.entity';

@ObjectType()
export class ActivityConnection extends ConnectionType('Activity', Activity) {}
