import {
  type CanActivate,
  Controller,
  type DynamicModule,
  type ForwardReference,
  type Type,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { InvalidOptionError } from '../errors/index.js';
import { DomainErrorFilter } from './domain-error.filter.js';
import { JsonOnlyInterceptor } from './json-only.interceptor.js';
import { MigrationAdminController } from './migration-admin.controller.js';
import { DEFAULT_SYNC_TIMEOUT_MS } from './sync-limit.js';
import { OperationsController } from './operations.controller.js';
import { StrictValidationPipe } from './strict-validation.pipe.js';
import { TenantsController } from './tenants.controller.js';

/** Where and behind what the admin API is mounted (the module's `admin` extra). */
export interface AdminControllerMount {
  /** Route of the `?action=` controller. Default `api/admin/migration`. */
  path?: string;
  /** Route under which `operations`, `audit` and `tenants` are. Default `api/admin`. */
  resourcesPath?: string;
  /**
   * How long the synchronous `?action=` forms that can stop midway (check, validate, dry-run,
   * a Redis backup) may run before they are stopped with a 503 `sync-timeout`, in ms. Default
   * 120000; the same work runs without a limit as an operation.
   */
  syncTimeoutMs?: number;
  /**
   * The guard every route is behind (required: the admin API never runs unauthenticated).
   * It is created in the tenant-migration module, so its dependencies must be global or come
   * from `imports`.
   */
  guard: Type<CanActivate>;
  /** Modules the guard's dependencies come from. */
  imports?: Array<Type | DynamicModule | Promise<DynamicModule> | ForwardReference>;
}

export const DEFAULT_ADMIN_PATH = 'api/admin/migration';
export const DEFAULT_RESOURCES_PATH = 'api/admin';

/**
 * The admin controllers (`?action=` routes, and the operations, audit and tenants resources) with their
 * routes, the host's guard, JSON bodies only (415 otherwise), strict
 * request validation (unknown properties are refused, whatever their name and whatever pipes the
 * host has) and the mapping of domain errors to
 * HTTP statuses (4xx with a message; a 500 never shows internals).
 */
export const mountAdminControllers = (mount: AdminControllerMount): Type[] => {
  if (typeof mount.guard !== 'function') {
    throw new InvalidOptionError(
      'the admin controller needs a guard: the admin API never runs unauthenticated',
      { option: 'admin.guard' },
    );
  }
  const syncTimeoutMs = mount.syncTimeoutMs ?? DEFAULT_SYNC_TIMEOUT_MS;
  class MountedMigrationAdminController extends MigrationAdminController {
    protected override readonly syncTimeoutMs = syncTimeoutMs;
  }
  class MountedOperationsController extends OperationsController {}
  class MountedTenantsController extends TenantsController {}
  const routed: [Type, string][] = [
    [MountedMigrationAdminController, mount.path ?? DEFAULT_ADMIN_PATH],
    [MountedOperationsController, mount.resourcesPath ?? DEFAULT_RESOURCES_PATH],
    [MountedTenantsController, mount.resourcesPath ?? DEFAULT_RESOURCES_PATH],
  ];
  for (const [controller, path] of routed) {
    Controller(path)(controller);
    UseGuards(mount.guard)(controller);
    // The OpenAPI document: every route needs the bearer token.
    ApiBearerAuth()(controller);
    ApiTags('admin')(controller);
    UseInterceptors(JsonOnlyInterceptor)(controller);
    UsePipes(new StrictValidationPipe())(controller);
    UseFilters(DomainErrorFilter)(controller);
  }
  return routed.map(([controller]) => controller);
};
