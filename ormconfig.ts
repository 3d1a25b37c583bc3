/**
 * The DataSource the typeorm CLI uses (`npm run db:migrate`, `npm run db:revert`).
 * Reads DATABASE_URL (default: the local development database) and TENANT_TABLES.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './libs/tenant-migration/src/tenant-migration.entities.js';
import { tableNamesFrom } from './apps/shared/environment-rules.js';

export default new DataSource(
  buildDataSourceOptions(
    process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    {},
    tableNamesFrom(process.env.TENANT_TABLES),
  ),
);
