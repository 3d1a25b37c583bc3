import { Injectable } from '@nestjs/common';
import { MigrationService } from '../migration/migration.service.js';
import {
  type MigrationRequest,
  type MigrationResult,
} from '../migration/migration-request.types.js';
import { IntegrityService, type IntegrityCheckRequest } from '../integrity/integrity.service.js';
import type { IntegrityReport } from '../integrity/integrity.types.js';
import type { EnhancedTenant } from '../tenants/tenant.types.js';
import { TenantResolver } from './tenant-resolver.js';

/**
 * The original system's programmatic entry point, by its method names, as an injectable
 * service: each method is the library's real operation (nothing is re-implemented here).
 */
@Injectable()
export class TenantMigrationService {
  constructor(
    private readonly migrations: MigrationService,
    private readonly integrity: IntegrityService,
    private readonly resolver: TenantResolver,
  ) {}

  /** Migrates every tenant (`MigrationService.migrate`): resumable, exactly accounted. */
  migrateAllTenants(request: MigrationRequest = {}): Promise<MigrationResult> {
    return this.migrations.migrate(request);
  }

  /** Compares Redis and PostgreSQL field by field (`IntegrityService.check`); writes nothing. */
  checkDataIntegrity(request: IntegrityCheckRequest = {}): Promise<IntegrityReport> {
    return this.integrity.check(request);
  }

  /**
   * PostgreSQL, then Redis migrated on the fly; null if neither has it. The resolver's own
   * method of that name (`TenantResolver.resolve`), so both call paths are one implementation.
   */
  getSubdomainDataWithFallback(subdomain: string): Promise<EnhancedTenant | null> {
    return this.resolver.getSubdomainDataWithFallback(subdomain);
  }
}
