import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type DuplicateName,
  findDuplicateNames,
  MAX_DUPLICATES_REPORTED,
} from './json-duplicate-keys.js';

const dup = (path: string, count = 2): DuplicateName => ({ path, count });
const longText = `${'x'.repeat(40)} \\"a\\": 1, \\\\ ${'y'.repeat(40)}`;

/** [what, JSON text, the duplicates expected]. Every text is valid JSON (checked below). */
const TABLE: [string, string, DuplicateName[]][] = [
  // no duplicates
  ['a typical legacy value', '{"emoji":"🍕","createdAt":1700000000000}', []],
  [
    'a typical enhanced value',
    '{"id":"ten_1","emoji":"🍕","createdAt":1,"features":{"whatsapp":true,"analytics":true},"subscription":{"plan":"basic","status":"active"}}',
    [],
  ],
  ['one member', '{"emoji":"🍕"}', []],
  ['names that share a prefix', '{"a":1,"ab":2,"abc":3,"b":4}', []],
  ['the same name in sibling objects', '{"x":{"a":1},"y":{"a":2}}', []],
  ['the same name in an object and its parent', '{"a":{"a":{"a":1}}}', []],
  ['the same name in the elements of an array', '{"items":[{"name":1},{"name":2}]}', []],
  ['a name repeated after its object closed', '{"a":{"b":1},"b":2}', []],
  ['scalars and arrays only', '[1,"a",true,null,[{}],-1.5e+10]', []],
  // top level
  ["the issue's example", '{"emoji":"bad","createdAt":1,"emoji":"🍔"}', [dup('emoji')]],
  ['a name three times', '{"a":1,"a":2,"a":3}', [dup('a', 3)]],
  [
    'two names repeated, in the order of their second occurrence',
    '{"b":1,"a":1,"a":2,"b":2,"a":3}',
    [dup('a', 3), dup('b')],
  ],
  [
    'duplicates with whitespace everywhere',
    ' {\n\t"a" :\r1 , "b":[ 1 , 2 ] ,\n "a"\t: { } } ',
    [dup('a')],
  ],
  // nested
  [
    'in a nested object',
    '{"emoji":"🍕","features":{"whatsapp":true,"whatsapp":false}}',
    [dup('features.whatsapp')],
  ],
  [
    'in brandColors',
    '{"brandColors":{"primary":"#fff","accent":"#000","primary":"#f00"}}',
    [dup('brandColors.primary')],
  ],
  [
    'at several depths',
    '{"a":{"b":{"c":1,"c":2},"b":0},"a":1}',
    [dup('a.b.c'), dup('a.b'), dup('a')],
  ],
  [
    'in the third object of an array',
    '{"items":[{"name":1},{"name":2},{"name":3,"name":4}]}',
    [dup('items[2].name')],
  ],
  [
    'in arrays of arrays',
    '{"m":[[1,{"a":1,"a":2}],[{"b":[{"c":1,"c":2}]}]]}',
    [dup('m[0][1].a'), dup('m[1][0].b[0].c')],
  ],
  ['under a top-level array', '[{"a":1},{"a":1,"a":2}]', [dup('[1].a')]],
  [
    'strings with commas and brackets before the object',
    '{"s":"[,{,]}","t":[",",{"a":1,"a":2}]}',
    [dup('t[1].a')],
  ],
  // escapes
  ['a name and its \\u escape', '{"a":1,"\\u0061":2}', [dup('a')]],
  ['a \\u escape and the name', '{"\\u0061":1,"a":2}', [dup('a')]],
  ['two equal escapes', '{"\\u0061b":1,"\\u0061\\u0062":2}', [dup('ab')]],
  ['an escaped solidus', '{"/":1,"\\/":2}', [dup('"/"')]],
  ['an emoji and its surrogate escapes', '{"🍔":1,"\\ud83c\\udf54":2}', [dup('"🍔"')]],
  ['a newline written two ways', '{"\\n":1,"\\u000a":2}', [dup('"\\n"')]],
  ['escapes that decode differently', '{"\\u0061":1,"\\u0062":2,"\\u0041":3}', []],
  ['a backslash-n and a newline', '{"\\\\n":1,"\\n":2}', []],
  ['a quote and a backslash', '{"\\"":1,"\\\\":2}', []],
  ['a name with an escaped quote and its prefix', '{"a\\"":1,"a":2}', []],
  ['an escaped name of another length', '{"\\u0061":1,"\\u0061a":2}', []],
  // name-like text inside values
  ['"key": text inside a value', '{"note":"\\"emoji\\":\\"x\\",","emoji":"🍕"}', []],
  ['an object written inside a string', '{"a":"{\\"a\\":1,\\"a\\":2}","b":2}', []],
  ['a value ending in an escaped backslash', '{"a":"\\\\","a":1}', [dup('a')]],
  ['a long value with escaped quotes', `{"a":"${longText}","b":"${longText}","a":2}`, [dup('a')]],
  [
    'a long value ending in backslashes',
    `{"a":"${'z'.repeat(40)}\\\\\\\\","b":"\\"b\\":","b":1}`,
    [dup('b')],
  ],
  // empty objects and names
  ['an empty object', '{}', []],
  ['empty objects as values', '{"a":{},"b":{},"c":[{},{}]}', []],
  ['an empty object repeated', '{"a":{},"a":{}}', [dup('a')]],
  ['an empty name repeated', '{"":1,"":2}', [dup('""')]],
  // names are data, never property keys
  ['__proto__ once', '{"__proto__":{"a":1},"constructor":1,"toString":2}', []],
  ['__proto__ twice', '{"__proto__":1,"__proto__":{"x":1}}', [dup('__proto__')]],
  ['constructor twice, nested', '{"a":{"constructor":1,"constructor":2}}', [dup('a.constructor')]],
];

describe('findDuplicateNames', () => {
  for (const [what, text, expected] of TABLE) {
    it(what, () => {
      assert.doesNotThrow(() => JSON.parse(text), 'the table holds valid JSON only');
      assert.deepEqual(findDuplicateNames(text), expected);
    });
  }

  it('follows 10,000 levels of nesting without recursion', () => {
    const depth = 10_000;
    const deep = `${'{"a":'.repeat(depth)}{"x":1,"x":2}${'}'.repeat(depth)}`;
    JSON.parse(deep);
    // the path keeps its first and last segments, so a field stays short
    assert.deepEqual(findDuplicateNames(deep), [dup('a.a.a.a...a.a.a.x')]);
    const arrays = `${'['.repeat(depth)}{"x":1,"x":2}${']'.repeat(depth)}`;
    assert.deepEqual(findDuplicateNames(arrays), [dup('[0][0][0][0]...[0][0][0].x')]);
    assert.deepEqual(findDuplicateNames(`${'{"a":['.repeat(depth)}0${']}'.repeat(depth)}`), []);
  });

  it('shows nine path segments in full, and elides from ten', () => {
    const nested = (levels: number): string =>
      `${'{"a":'.repeat(levels)}{"x":1,"x":2}${'}'.repeat(levels)}`;
    assert.deepEqual(findDuplicateNames(nested(8)), [dup('a.a.a.a.a.a.a.a.x')]);
    assert.deepEqual(findDuplicateNames(nested(9)), [dup('a.a.a.a...a.a.a.x')]);
  });

  it('finds duplicates in an object of thousands of members (past the linear search)', () => {
    const members = Array.from({ length: 5000 }, (_, i) => `"m${i}":${i}`);
    assert.deepEqual(findDuplicateNames(`{${members.join(',')}}`), []);
    const text = `{${members.join(',')},"m3":0,"\\u006d4999":0,"m3":0,"m20":{"m20":1}}`;
    assert.deepEqual(findDuplicateNames(text), [dup('m3', 3), dup('m4999'), dup('m20')]);
    // at the edge between the linear search and the Set, whichever the limit is
    for (let size = 1; size <= 40; size++) {
      const distinct = Array.from({ length: size }, (_, i) => `"k${i}":${i}`).join(',');
      assert.deepEqual(findDuplicateNames(`{${distinct}}`), [], `${size} names`);
      const repeats = `{${distinct},"k0":0,"\\u006b${size - 1}":0,"k0":1}`;
      const expected = size === 1 ? [dup('k0', 4)] : [dup('k0', 3), dup(`k${size - 1}`)];
      assert.deepEqual(findDuplicateNames(repeats), expected, `${size} names and repeats`);
      assert.deepEqual(
        findDuplicateNames(`{${distinct},"k${size - 1}":0}`),
        [dup(`k${size - 1}`)],
        `${size} names, the last repeated`,
      );
    }
  });

  it(`reports at most ${MAX_DUPLICATES_REPORTED} duplicates, with the counts of those it reports`, () => {
    const names = Array.from({ length: 30 }, (_, i) => `"n${i}":0`).join(',');
    const found = findDuplicateNames(`{${names},${names},${names}}`);
    assert.equal(found.length, MAX_DUPLICATES_REPORTED);
    assert.deepEqual(
      found,
      Array.from({ length: MAX_DUPLICATES_REPORTED }, (_, i) => dup(`n${i}`, 3)),
    );
  });

  it('keeps paths short and storable for hostile names', () => {
    const huge = 'h'.repeat(100_000);
    const cases: [string, string][] = [
      [`{"${huge}":1,"${huge}":2}`, 'a 100,000-character name'],
      ['{"\\u0000":1,"\\u0000":2}', 'NUL'],
      ['{"\\ud800":1,"\\ud800":2}', 'a lone surrogate'],
      ['{"x":{"\\udfff\\u0000":1,"\\udfff\\u0000":2}}', 'both, nested'],
      ['{"a.b":1,"a.b":2}', 'a dot'],
    ];
    for (const [text, what] of cases) {
      const [found, ...rest] = findDuplicateNames(text);
      assert.ok(found !== undefined && rest.length === 0, what);
      assert.ok(found.path.length <= 90, `${what}: ${found.path.length} characters`);
      assert.doesNotMatch(
        found.path,
        /\0|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
        what,
      );
    }
    assert.equal(findDuplicateNames('{"\\u0000":1,"\\u0000":2}')[0]?.path, '"\\u0000"');
    assert.equal(findDuplicateNames('{"a.b":1,"a.b":2}')[0]?.path, '"a.b"');
  });

  it('gives the same answers whatever was scanned before (the stacks are reused)', () => {
    const before = findDuplicateNames('{"a":{"\\u0062":1,"b":2,"c":[{"d":1,"d":1}]}}');
    assert.deepEqual(before, [dup('a.b'), dup('a.c[0].d')]);
    for (const [what, text, expected] of TABLE)
      assert.deepEqual(findDuplicateNames(text), expected, what);
    assert.deepEqual(findDuplicateNames('{"b":1,"d":2}'), []);
  });

  it('does not touch Object.prototype', () => {
    findDuplicateNames('{"__proto__":{"polluted":1},"__proto__":{"polluted":2}}');
    assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false);
  });
});
