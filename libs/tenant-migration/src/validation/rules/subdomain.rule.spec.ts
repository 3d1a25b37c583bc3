import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_RESERVED_SUBDOMAINS } from '../validation.types.js';
import { checkBodySubdomain, checkSubdomain, normalizeSubdomain } from './subdomain.rule.js';

const codes = (name: string): string[] =>
  checkSubdomain(name, DEFAULT_RESERVED_SUBDOMAINS).map((r) => r.code);

describe('normalizeSubdomain', () => {
  const cases: [string, string][] = [
    ['shop', 'shop'],
    ['Shop', 'shop'],
    ['  My-Shop \t', 'my-shop'],
    ['ＳＨＯＰ１', 'shop1'], // full-width forms (NFKC)
    ['ｓｈｏｐ', 'shop'],
    ['\u3000shop\u3000', 'shop'], // ideographic spaces
    ['ﬁsh', 'fish'], // ligature
    ['Ⓐbc', 'abc'], // circled letter
    ['', ''],
    ['café', 'café'], // stays invalid, but is not mangled
  ];
  for (const [raw, expected] of cases) {
    it(`${JSON.stringify(raw)} -> ${JSON.stringify(expected)}`, () =>
      assert.equal(normalizeSubdomain(raw), expected));
  }

  it('returns a canonical name as the same string', () => {
    const name = 't1-abc';
    assert.equal(normalizeSubdomain(name), name);
  });
});

describe('checkSubdomain', () => {
  const cases: [string, string[]][] = [
    ['shop', []],
    ['a', []],
    ['0', []],
    ['t1-2s', []],
    ['shop--one', []], // "--" outside positions 3-4 is a valid label
    ['a'.repeat(63), []],
    ['a'.repeat(64), ['subdomain-too-long']],
    ['', ['subdomain-empty']],
    ['-shop', ['subdomain-hyphen-edge']],
    ['shop-', ['subdomain-hyphen-edge']],
    ['-', ['subdomain-hyphen-edge']],
    ['ab--cd', ['subdomain-double-hyphen']],
    ['xn--bcher-kva', ['subdomain-double-hyphen']], // punycode refused: tenant names are ASCII
    ['my_shop', ['subdomain-invalid-chars']],
    ['my.shop', ['subdomain-invalid-chars']],
    ['Shop', ['subdomain-invalid-chars']], // not normalized
    ['café', ['subdomain-invalid-chars']],
    ["x'; drop table tenants;--", ['subdomain-invalid-chars', 'subdomain-hyphen-edge']],
    ['admin', ['subdomain-reserved']],
    ['www', ['subdomain-reserved']],
    ['dashboard', ['subdomain-reserved']],
    ['admin1', []],
    [
      `-${'a'.repeat(70)}_`,
      ['subdomain-too-long', 'subdomain-invalid-chars', 'subdomain-hyphen-edge'],
    ],
  ];
  for (const [name, expected] of cases) {
    it(`${JSON.stringify(name.length > 40 ? `${name.slice(0, 20)}...(${name.length})` : name)} -> [${expected.join(', ')}]`, () =>
      assert.deepEqual(codes(name), expected));
  }

  it('tags every reason with the field and a message', () => {
    for (const r of checkSubdomain("x'; drop table tenants;--", [], 'key')) {
      assert.equal(r.field, 'key');
      assert.ok(r.message.length > 0);
    }
  });

  it('accepts the reserved names as a Set or an array', () => {
    assert.deepEqual(
      checkSubdomain('blog', new Set(['blog'])).map((r) => r.code),
      ['subdomain-reserved'],
    );
    assert.deepEqual(checkSubdomain('blog', []), []);
  });
});

describe('checkBodySubdomain', () => {
  const cases: [unknown, string, string | string[]][] = [
    ['shop', 'shop', 'shop'],
    ['Shop ', 'shop', 'shop'], // same tenant once normalized
    ['other', 'shop', ['subdomain-mismatch']],
    [42, 'shop', ['invalid-type']],
  ];
  for (const [value, key, expected] of cases) {
    it(`${JSON.stringify(value)} under key "${key}"`, () => {
      const outcome = checkBodySubdomain(value, key);
      if (typeof expected === 'string') {
        assert.ok(outcome.ok);
        assert.equal(outcome.value, expected);
      } else {
        assert.ok(!outcome.ok);
        assert.deepEqual(
          outcome.reasons.map((r) => r.code),
          expected,
        );
        assert.equal(outcome.reasons[0]?.field, 'subdomain');
      }
    });
  }
});
