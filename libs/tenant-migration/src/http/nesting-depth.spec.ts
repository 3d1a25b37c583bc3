import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_NESTING_DEPTH, nestsDeeperThan } from './nesting-depth.js';

const arrays = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
const objects = (depth: number): unknown =>
  JSON.parse(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);
/** Arrays and objects in turn, the deepest one last among wide siblings. */
const mixed = (depth: number): unknown => {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level++)
    value = level % 2 === 0 ? [1, 'two', null, value] : { x: 1, y: [], z: value };
  return value;
};

describe('nestsDeeperThan', () => {
  const rows: [name: string, value: unknown, limit: number, deeper: boolean][] = [
    ['a string', 'x'.repeat(1000), 0, false],
    ['null', null, 0, false],
    ['a number', 42, 0, false],
    ['an empty array is 1 level', [], 0, true],
    ['an empty array within 1', [], 1, false],
    ['an empty object is 1 level', {}, 1, false],
    ['a flat body', { action: 'validate', batchSize: 10 }, 1, false],
    ['a query with a repeated parameter', { offset: ['1', '2'] }, 1, true],
    ['a query with a repeated parameter within 2', { offset: ['1', '2'] }, 2, false],
    ['a Buffer is a leaf', { raw: Buffer.alloc(10_000) }, 1, false],
    ['arrays exactly at the bound', arrays(MAX_NESTING_DEPTH), MAX_NESTING_DEPTH, false],
    ['arrays one past the bound', arrays(MAX_NESTING_DEPTH + 1), MAX_NESTING_DEPTH, true],
    ['objects exactly at the bound', objects(MAX_NESTING_DEPTH), MAX_NESTING_DEPTH, false],
    ['objects one past the bound', objects(MAX_NESTING_DEPTH + 1), MAX_NESTING_DEPTH, true],
    ['arrays and objects exactly at the bound', mixed(MAX_NESTING_DEPTH), MAX_NESTING_DEPTH, false],
    [
      'arrays and objects one past the bound',
      mixed(MAX_NESTING_DEPTH + 1),
      MAX_NESTING_DEPTH,
      true,
    ],
    ['arrays 50,000 deep (100 kB of "[")', arrays(50_000), MAX_NESTING_DEPTH, true],
    ['objects 20,000 deep', objects(20_000), MAX_NESTING_DEPTH, true],
    [
      'a deep value behind a key named __proto__',
      JSON.parse(`{"__proto__":${JSON.stringify(arrays(40))}}`),
      MAX_NESTING_DEPTH,
      true,
    ],
    [
      'a very wide object',
      Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, [i]])),
      MAX_NESTING_DEPTH,
      false,
    ],
    ['a very wide array', Array.from({ length: 50_000 }, () => []), MAX_NESTING_DEPTH, false],
  ];
  for (const [name, value, limit, deeper] of rows) {
    it(`${name}: ${deeper ? 'deeper than' : 'within'} ${limit}`, () =>
      assert.equal(nestsDeeperThan(value, limit), deeper));
  }

  it('checks a value far deeper than the stack allows without recursion', () => {
    let value: unknown = [];
    for (let level = 0; level < 1_000_000; level++) value = [value];
    assert.equal(nestsDeeperThan(value, MAX_NESTING_DEPTH), true);
  });
});
