/**
 * The DataSource the typeorm CLI uses (`npm run db:migrate`, `npm run db:revert`).
 * Reads DATABASE_URL; defaults to the local development database.
 */
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from './libs/tenant-migration/src/database/index.js';

export default new DataSource(
  buildDataSourceOptions(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'),
);
