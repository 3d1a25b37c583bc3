import { Body, Controller, Get, NotFoundException, Param, Patch, Post } from '@nestjs/common';
import {
  TenantResolver,
  TenantService,
  type TenantChanges,
  type TenantInput,
} from '#tenant-migration';

/**
 * The platform's own tenant routes: where it used to read `subdomain:<name>` from Redis, it
 * now asks the resolver; writes go through TenantService (which keeps Redis current). The
 * bodies need no DTO: TenantService validates and sanitizes every write with the migration's
 * own rules and throws InvalidTenantError with the reasons, which DomainErrorFilter answers.
 */
@Controller('tenants')
export class TenantsController {
  constructor(
    private readonly resolver: TenantResolver,
    private readonly tenants: TenantService,
  ) {}

  @Get(':subdomain')
  async show(@Param('subdomain') subdomain: string) {
    const tenant = await this.resolver.resolve(subdomain);
    if (!tenant) throw new NotFoundException(`no tenant "${subdomain}"`);
    return tenant;
  }

  @Post()
  create(@Body() body: TenantInput) {
    return this.tenants.create(body);
  }

  @Patch(':subdomain')
  update(@Param('subdomain') subdomain: string, @Body() body: TenantChanges) {
    return this.tenants.update(subdomain, body);
  }
}
