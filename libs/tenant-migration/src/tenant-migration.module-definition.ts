import { ConfigurableModuleBuilder } from '@nestjs/common';
import { getRedisConnectionToken } from '@nestjs-modules/ioredis';
import type { TenantMigrationModuleOptions } from './tenant-migration-options.interface.js';
import { TENANT_REDIS } from './tenant-migration.constants.js';

/** What shapes the module itself, so it is given at definition time (not in async options). */
export interface TenantMigrationModuleExtras {
  /** Register the module globally. Default false. */
  isGlobal?: boolean;
  /**
   * Injection token of the host's ioredis client. Default: the default connection of
   * @nestjs-modules/ioredis (`getRedisConnectionToken()`).
   */
  redisToken?: string | symbol;
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
    providers: [
      ...(definition.providers ?? []),
      { provide: TENANT_REDIS, useExisting: extras.redisToken ?? getRedisConnectionToken() },
    ],
    exports: [...(definition.exports ?? []), TENANT_REDIS],
  }))
  .build();
