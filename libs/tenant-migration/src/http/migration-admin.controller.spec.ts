import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PATH_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { MigrationAdminController } from './migration-admin.controller.js';

/**
 * The strict pipe refuses unknown query parameters only on a route that declares its query: one
 * that never asks for it ignores `?x=1`. So every route, present and future, declares the whole
 * query (`@Query()`) with a DTO class (`NoQueryDto` where it takes none).
 */
describe('MigrationAdminController', () => {
  const prototype = MigrationAdminController.prototype as unknown as Record<string, unknown>;
  const routes = Object.getOwnPropertyNames(prototype).filter(
    (name) =>
      name !== 'constructor' &&
      typeof prototype[name] === 'function' &&
      Reflect.getMetadata(PATH_METADATA, prototype[name] as object) !== undefined,
  );

  it('has routes', () =>
    assert.deepEqual(routes.sort(), ['action', 'exceptions', 'exportExceptions', 'query', 'run']));

  for (const name of routes) {
    it(`${name} declares its whole query with a DTO class`, () => {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, MigrationAdminController, name) ??
        {}) as Record<string, { index: number; data?: unknown }>;
      const queries = Object.entries(args).filter(
        ([key]) => key.split(':')[0] === String(RouteParamtypes.QUERY),
      );
      assert.equal(queries.length, 1, `${name}: one @Query()`);
      const [, query] = queries[0];
      assert.equal(query.data, undefined, `${name}: the whole query, not one parameter of it`);
      const types = Reflect.getMetadata('design:paramtypes', prototype, name) as unknown[];
      const type = types[query.index];
      assert.ok(
        typeof type === 'function' && type !== Object && type !== String,
        `${name}: a DTO class, not ${String(type)}`,
      );
    });
  }
});
