import { ConfigurableModuleBuilder } from '@nestjs/common';
import { getDataSourceToken, getRepositoryToken, TypeOrmModule } from '@nestjs/typeorm';
import { getRedisConnectionToken } from '@nestjs-modules/ioredis';
import type { Repository } from 'typeorm';
import type { TenantMigrationModuleOptions } from './tenant-migration-options.interface.js';
import { RESOLVED_OPTIONS, TENANT_REDIS } from './tenant-migration.constants.js';
import type { ResolvedTenantMigrationOptions } from './tenant-migration-options.interface.js';
import { TENANT_DATA_SOURCE, tenantRepositoryToken } from './tenant-migration.tokens.js';
import { ENTITY_TABLES, TENANT_MIGRATION_ENTITIES } from './tenant-migration.entities.js';
import { mapEntityTable } from './database/map-entity-table.js';
import { DEFAULT_TABLE_NAMES } from './database/table-names.js';
import { type AdminControllerMount, mountAdminControllers } from './http/mount-admin-controller.js';

/**
 * What shapes the module itself (its connections and routes), so it is given at definition
 * time, next to `useFactory`, not computed by it.
 */
export interface TenantMigrationModuleExtras {
  /** Register the module globally. Default false. */
  isGlobal?: boolean;
  /**
   * Injection token of the host's ioredis client. Default: the default connection of
   * @nestjs-modules/ioredis (`getRedisConnectionToken()`).
   */
  redisToken?: string | symbol;
  /**
   * Name of the host's TypeORM connection (`TypeOrmModule.forRoot({ name })`) the library
   * works in. Default: the default connection. Its entities must include
   * `TENANT_MIGRATION_ENTITIES` (or `autoLoadEntities: true`), its migrations
   * `TENANT_MIGRATION_SCHEMA_MIGRATIONS`.
   */
  dataSource?: string;
  /** Mount the admin REST controller, behind this guard. Default: not mounted. */
  admin?: AdminControllerMount;
}

export const {
  ConfigurableModuleClass: ConfigurableTenantMigrationModule,
  MODULE_OPTIONS_TOKEN: TENANT_MIGRATION_MODULE_OPTIONS,
  OPTIONS_TYPE: TENANT_MIGRATION_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TENANT_MIGRATION_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TenantMigrationModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras<TenantMigrationModuleExtras>({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    imports: [
      ...(definition.imports ?? []),
      TypeOrmModule.forFeature(TENANT_MIGRATION_ENTITIES, extras.dataSource),
      ...(extras.admin?.imports ?? []),
    ],
    controllers: [
      ...(definition.controllers ?? []),
      ...(extras.admin ? mountAdminControllers(extras.admin) : []),
    ],
    providers: [
      ...(definition.providers ?? []),
      { provide: TENANT_REDIS, useExisting: extras.redisToken ?? getRedisConnectionToken() },
      { provide: TENANT_DATA_SOURCE, useExisting: getDataSourceToken(extras.dataSource) },
      // The host's repositories of the library's entities, pointed at the configured tables.
      ...[...ENTITY_TABLES].map(([entity, table]) => ({
        provide: tenantRepositoryToken(entity),
        inject: [getRepositoryToken(entity, extras.dataSource), RESOLVED_OPTIONS],
        useFactory: (repository: Repository<object>, options: ResolvedTenantMigrationOptions) =>
          mapEntityTable(repository, options.tables[table], DEFAULT_TABLE_NAMES[table]),
      })),
    ],
    exports: [...(definition.exports ?? []), TENANT_REDIS, TENANT_DATA_SOURCE],
  }))
  .build();
