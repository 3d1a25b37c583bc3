import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { commandPath, describeFlags, type ParsedCommand } from './command-line.js';

type Option = ParsedCommand['options'][number];

const option = (
  long: string,
  attribute: string,
  kind: 'flag' | 'value' | 'negate' = 'flag',
): Option => ({
  long,
  negate: kind === 'negate',
  required: kind === 'value',
  optional: false,
  attributeName: () => attribute,
});

const command = (
  name: string,
  parent: ParsedCommand | null = null,
  options: Option[] = [],
  values: Record<string, unknown> = {},
): ParsedCommand => ({
  name: () => name,
  parent,
  options,
  opts: () => values,
});

describe('commandPath', () => {
  it('names a command below the root by its path, the root by its own name', () => {
    const root = command('tenant-migrate');
    const backup = command('backup', root);
    assert.equal(commandPath(root), 'tenant-migrate');
    assert.equal(commandPath(command('migrate', root)), 'migrate');
    assert.equal(commandPath(command('verify', backup)), 'backup verify');
  });
});

describe('describeFlags', () => {
  const options = [
    option('--json', 'json'),
    option('--batch-size', 'batchSize', 'value'),
    option('--out', 'out', 'value'),
    option('--no-resume', 'resume', 'negate'),
    option('--target-url', 'targetUrl', 'value'),
  ];
  const flagsOf = (values: Record<string, unknown>): string =>
    describeFlags(command('x', null, options, values));

  it('spells the flags given, as typed', () => {
    assert.equal(flagsOf({}), '');
    assert.equal(
      flagsOf({ json: true, batchSize: 5, out: 'a b.gz' }),
      '--json --batch-size 5 --out "a b.gz"',
    );
    assert.equal(flagsOf({ resume: false }), '--no-resume');
  });

  it('hides the password of a URL value', () => {
    const flags = flagsOf({ targetUrl: 'redis://user:hunter2@10.0.0.1:6379/2' });
    assert.equal(flags, '--target-url redis://user:***@10.0.0.1:6379/2');
  });
});
