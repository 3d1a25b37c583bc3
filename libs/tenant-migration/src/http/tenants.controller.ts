import { Get, Inject, Injectable, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiParam } from '@nestjs/swagger';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { TenantLookupService } from '../integrity/tenant-lookup.service.js';
import { TENANT_REDIS } from '../tenant-migration.constants.js';
import { TENANT_DATA_SOURCE } from '../tenant-migration.tokens.js';
import { BOTH } from './admin-actions.js';
import { ApiProblemResponses } from './api-problem-responses.js';
import { NoQueryDto } from './migration-action.dto.js';
import { assertStoresAnswer } from './store-readiness.js';
import { SubdomainPipe } from './subdomain.pipe.js';
import { TenantLookupResponse } from './tenant-lookup.responses.js';

/**
 * The admin API's tenants resource: one tenant in both stores, for the dashboard. Reads only.
 *
 * Not routed by itself: `mountAdminControllers` routes it under the resources path, behind the
 * same guard, pipes and error mapping as the other admin controllers.
 */
@ApiProblemResponses()
@Injectable()
export class TenantsController {
  constructor(
    private readonly lookups: TenantLookupService,
    @Inject(TENANT_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(TENANT_REDIS) private readonly redis: Redis,
  ) {}

  /**
   * Its Redis key (as it is and as a migration maps it), its tenants row, how they compare and
   * its history. An impossible subdomain is a 400 whatever the stores; a store that does not
   * answer, a 503 before anything is read.
   */
  @Get('tenants/:subdomain')
  @ApiParam({
    name: 'subdomain',
    description: 'The tenant, in any case (normalised as the validation does).',
  })
  @ApiProblemResponses([404])
  @ApiOkResponse({ type: TenantLookupResponse })
  async lookup(@Param('subdomain', SubdomainPipe) subdomain: string, @Query() _query: NoQueryDto) {
    await assertStoresAnswer({ dataSource: this.dataSource, redis: this.redis }, BOTH);
    return this.lookups.lookup(subdomain);
  }
}
