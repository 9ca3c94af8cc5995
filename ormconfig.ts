import 'reflect-metadata';
import { loadConfig } from './src/common/config';
import { appDataSource } from './src/entities';

/**
 * The DataSource of the TypeORM CLI (migrations). It is MySQL unless DB_TYPE says otherwise:
 *   MYSQL_URL=mysql://root@127.0.0.1:3306/partner_center npm run migration:generate -- src/migrations/Name
 */
export default appDataSource(loadConfig({ ...process.env, DB_TYPE: process.env.DB_TYPE || 'mysql' }));
