import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_TABLE_NAMES, resolveTableNames, schemaOf, unqualified } from './table-names.js';
import { InvalidOptionError } from '../errors/index.js';

describe('table names', () => {
  it('defaults every table, and takes plain or schema-qualified identifiers', () => {
    assert.deepEqual(resolveTableNames(), DEFAULT_TABLE_NAMES);
    const names = resolveTableNames({ tenants: 'tenancy.tenants', auditLog: 'tm_audit' });
    assert.equal(names.tenants, 'tenancy.tenants');
    assert.equal(names.auditLog, 'tm_audit');
    assert.equal(names.backups, 'backups');
    assert.deepEqual(
      [unqualified('tenancy.tenants'), schemaOf('tenancy.tenants'), schemaOf('tenants')],
      ['tenants', 'tenancy.', ''],
    );
  });

  it('refuses anything that is not a plain identifier (nothing is ever interpolated unchecked)', () => {
    for (const bad of [
      'excluded',
      'Tenants',
      'tenants; DROP TABLE x',
      '"tenants"',
      'a.b.c',
      '',
      '1tenants',
      'ten ants',
      'x'.repeat(64),
    ]) {
      assert.throws(() => resolveTableNames({ tenants: bad }), InvalidOptionError, bad);
    }
  });

  it('refuses two tables with one name, and an unknown table', () => {
    assert.throws(() => resolveTableNames({ backups: 'tenants' }), /a name of its own/);
    assert.doesNotThrow(() => resolveTableNames({ tenants: 'a.t', backups: 'b.t' }));
    assert.throws(
      () => resolveTableNames({ nonsense: 'x' } as never),
      /not a table of the library/,
    );
  });
});
