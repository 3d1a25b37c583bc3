import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  DomainErrorFilter,
  TENANT_MIGRATION_ENTITIES,
  TenantMigrationModule,
  tenantMigrationSchemaMigrations,
  type TableNames,
} from '#tenant-migration';
import {
  PLATFORM_REDIS,
  PLATFORM_REDIS_URL,
  PlatformRedisModule,
} from './platform-redis.module.js';
import { PlatformAuthModule, PlatformStaffGuard } from './platform-auth.js';
import { TenantsController } from './tenants.controller.js';

export interface PlatformSettings {
  databaseUrl: string;
  redisUrl: string;
  keyPrefix: string;
  staffKey: string;
  /** Mount the tenant-migration admin API (behind the platform's staff guard). */
  mountAdmin: boolean;
  /** Where the library's tables live (default names when absent). */
  tables?: Partial<TableNames>;
  /** Folder of backup files. */
  backupDir?: string;
  /** The platform's ledger of applied schema migrations. Default `platform_schema_migrations`. */
  migrationsTableName?: string;
}

/** The platform's settings, as its configuration would provide them (asynchronously). */
const SETTINGS = 'PLATFORM_SETTINGS';

@Module({})
class PlatformSettingsModule {
  static of(settings: PlatformSettings): DynamicModule {
    return {
      module: PlatformSettingsModule,
      global: true,
      providers: [
        { provide: SETTINGS, useValue: settings },
        { provide: PLATFORM_REDIS_URL, useValue: settings.redisUrl },
      ],
      exports: [SETTINGS, PLATFORM_REDIS_URL],
    };
  }
}

/**
 * An ordinary Nest platform that adopts tenant-migration: its own named TypeORM connection
 * (`platform`, no default connection at all), its own Redis client under its own token, its
 * own guard, and its own routes that use the resolver and TenantService.
 */
@Module({})
export class PlatformAppModule {
  static register(settings: PlatformSettings): DynamicModule {
    return {
      module: PlatformAppModule,
      imports: [
        PlatformSettingsModule.of(settings),
        PlatformRedisModule,
        TypeOrmModule.forRootAsync({
          name: 'platform',
          inject: [SETTINGS],
          useFactory: (s: PlatformSettings) => ({
            type: 'postgres',
            url: s.databaseUrl,
            entities: [...TENANT_MIGRATION_ENTITIES],
            migrations: [...tenantMigrationSchemaMigrations(s.tables)],
            migrationsTableName: s.migrationsTableName ?? 'platform_schema_migrations',
            migrationsRun: true,
            retryAttempts: 0,
          }),
        }),
        TenantMigrationModule.forRootAsync({
          dataSource: 'platform',
          redisToken: PLATFORM_REDIS,
          admin: settings.mountAdmin
            ? {
                path: 'internal/tenant-migration',
                guard: PlatformStaffGuard,
                imports: [PlatformAuthModule.withKey(settings.staffKey)],
              }
            : undefined,
          inject: [SETTINGS],
          useFactory: (s: PlatformSettings) => ({
            keyPrefix: s.keyPrefix,
            writeBack: { enabled: true },
            tables: s.tables,
            backupDir: s.backupDir,
          }),
        }),
      ],
      controllers: [TenantsController],
      providers: [{ provide: APP_FILTER, useClass: DomainErrorFilter }],
    };
  }
}
