import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  Module,
} from '@nestjs/common';
import type { Request } from 'express';

export const PLATFORM_STAFF_KEY = 'PLATFORM_STAFF_KEY';

/** The platform's own notion of staff (not global: it reaches the admin guard through `admin.imports`). */
@Injectable()
export class StaffDirectory {
  constructor(@Inject(PLATFORM_STAFF_KEY) private readonly key: string) {}

  isStaff(presented: string | undefined): boolean {
    return presented !== undefined && presented === this.key;
  }
}

@Module({
  providers: [StaffDirectory],
  exports: [StaffDirectory],
})
export class PlatformAuthModule {
  static withKey(key: string) {
    return {
      module: PlatformAuthModule,
      providers: [{ provide: PLATFORM_STAFF_KEY, useValue: key }, StaffDirectory],
      exports: [StaffDirectory],
    };
  }
}

/** The guard the platform puts the tenant-migration admin API behind. */
@Injectable()
export class PlatformStaffGuard implements CanActivate {
  constructor(private readonly staff: StaffDirectory) {}

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<Request>().headers['x-staff-key'];
    if (!this.staff.isStaff(typeof header === 'string' ? header : undefined))
      throw new ForbiddenException('staff only');
    return true;
  }
}
