import { Inject } from '@nestjs/common';

/** A class mapped by TypeORM. */
export type EntityClass = new (...args: never[]) => object;

/**
 * @internal The host's TypeORM DataSource the library works in: the default connection, or the
 * one named by the module's `dataSource` extra.
 */
export const TENANT_DATA_SOURCE = 'TENANT_MIGRATION_DATA_SOURCE';

/** @internal The token of the library's repository of one entity, on the chosen DataSource. */
export const tenantRepositoryToken = (entity: EntityClass): string =>
  `TENANT_MIGRATION_REPOSITORY:${entity.name}`;

/** Injects the DataSource the module was given (`@InjectDataSource()` would bind the default). */
export const InjectTenantDataSource = (): PropertyDecorator & ParameterDecorator =>
  Inject(TENANT_DATA_SOURCE);

/** Injects the repository of a library entity on the DataSource the module was given. */
export const InjectTenantRepository = (
  entity: EntityClass,
): PropertyDecorator & ParameterDecorator => Inject(tenantRepositoryToken(entity));
