import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { plainToInstance } from 'class-transformer';
import { MigrationActionDto, misplacedProperties } from './migration-action.dto.js';

const body = (plain: Record<string, unknown>): MigrationActionDto =>
  plainToInstance(MigrationActionDto, plain);

describe('misplacedProperties', () => {
  it('accepts what each action takes', () => {
    assert.deepEqual(misplacedProperties(body({ action: 'backup' })), []);
    assert.deepEqual(misplacedProperties(body({ action: 'backup', postgres: true })), []);
    assert.deepEqual(
      misplacedProperties(
        body({ action: 'migrate', dryRun: false, batchSize: 10, conflictPolicy: 'skip' }),
      ),
      [],
    );
    assert.deepEqual(misplacedProperties(body({ action: 'validate' })), []);
  });

  it('names postgres outside backup, and migration options on a backup', () => {
    assert.deepEqual(misplacedProperties(body({ action: 'migrate', postgres: true })), [
      'postgres',
    ]);
    assert.deepEqual(misplacedProperties(body({ action: 'dry-run', postgres: false })), [
      'postgres',
    ]);
    assert.deepEqual(misplacedProperties(body({ action: 'backup', dryRun: true, batchSize: 5 })), [
      'dryRun',
      'batchSize',
    ]);
  });
});
