import { Module } from '@nestjs/common';
import { RESOLVED_OPTIONS } from './tenant-migration.constants.js';
import { ConfigurableTenantMigrationModule } from './tenant-migration.module-definition.js';
import { LIBRARY_PROVIDERS, OPTION_PROVIDERS } from './tenant-migration.providers.js';

export { resolveOptions } from './tenant-migration-options.resolve.js';

/**
 * The importable module: migration, validation and the services built on them. It maps its
 * entities on the host's TypeORM connection (`TypeOrmModule.forFeature`, see the extras) and
 * uses the host's ioredis client; the host (or the apps in this repository) owns both.
 */
@Module({
  providers: [...OPTION_PROVIDERS, ...LIBRARY_PROVIDERS],
  exports: [RESOLVED_OPTIONS, ...LIBRARY_PROVIDERS],
})
export class TenantMigrationModule extends ConfigurableTenantMigrationModule {}
