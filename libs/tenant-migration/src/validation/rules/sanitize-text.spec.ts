import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkText, codePointLength, sanitizeText, type TextMode } from './sanitize-text.js';

describe('sanitizeText', () => {
  const cases: [string, string, TextMode][] = [
    // left alone
    ['Business 3', 'Business 3', 'single-line'],
    ["x'; drop table tenants;--", "x'; drop table tenants;--", 'single-line'], // harmless text, no markup
    ['Tom & Jerry "Bakery"', 'Tom & Jerry "Bakery"', 'single-line'],
    ['مطعم الشام', 'مطعم الشام', 'single-line'], // Arabic
    ['חנות הפרחים של דנה', 'חנות הפרחים של דנה', 'single-line'], // Hebrew
    ['Café 東京 🍕', 'Café 東京 🍕', 'single-line'],
    ['می\u200Cخواهم', 'می\u200Cخواهم', 'single-line'], // Persian ZWNJ is spelling
    ['क्\u200Dष', 'क्\u200Dष', 'single-line'], // Devanagari ZWJ
    ['Family 👨‍👩‍👧 Shop', 'Family 👨‍👩‍👧 Shop', 'single-line'], // ZWJ inside an emoji sequence
    ['Flag 🏳️‍🌈 Bar', 'Flag 🏳️‍🌈 Bar', 'single-line'],
    ['Hello\u200E world', 'Hello\u200E world', 'single-line'], // LRM is a legitimate mark
    ['Line one\nLine two\ttab', 'Line one\nLine two\ttab', 'multi-line'],
    // markup
    ['<script>alert(1)</script>Shop', 'Shop', 'single-line'],
    ['<SCRIPT type="text/javascript">alert(1)</SCRIPT >Shop', 'Shop', 'single-line'],
    ['<style>body{}</style>Shop', 'Shop', 'single-line'],
    ['<b>Bold</b> Shop', 'Bold Shop', 'single-line'],
    ['<img src=x onerror=alert(1)>Shop', 'Shop', 'single-line'],
    ['Shop<!-- hidden -->', 'Shop', 'single-line'],
    ['a < b > c', 'a  b  c', 'single-line'],
    ['<<script>script>alert(1)<</script>/script>', '', 'single-line'], // nested tricks leave nothing
    ['<script>unclosed', 'unclosed', 'single-line'],
    ['<script>a</script>b<style>x</style>c<script>d', 'bcd', 'single-line'], // the unclosed one loses its tag only
    ['<script\n>a</script\n>b', 'b', 'multi-line'],
    ['Shop <', 'Shop', 'single-line'],
    // controls
    ['Bad\u0000Name\u0007', 'BadName', 'single-line'],
    ['Line one\nLine two', 'Line one Line two', 'single-line'],
    ['Tabs\t\tand\r\nbreaks', 'Tabs and breaks', 'single-line'],
    ['C1\u0085\u009Bcontrols', 'C1 controls', 'single-line'],
    ['CRLF\r\nand CR\rend', 'CRLF\nand CR\nend', 'multi-line'],
    ['Null\u0000 and bell\u0007 and\u2028sep', 'Null and bell and\nsep', 'multi-line'],
    // invisible characters
    ['Ad\u200Bmin', 'Admin', 'single-line'],
    ['Ad\u200Cmin', 'Admin', 'single-line'], // ZWNJ between Latin letters: a look-alike trick
    ['Ad\u200Dmin', 'Admin', 'single-line'],
    ['\uFEFFShop\u2060', 'Shop', 'single-line'],
    ['\u200DShop', 'Shop', 'single-line'],
    ['🍕\u200D', '🍕', 'single-line'], // ZWJ leading nowhere
    ['evil\u202Egnp.exe', 'evilgnp.exe', 'single-line'], // bidi override
    ['a\u2066b\u2069c', 'abc', 'single-line'],
    // whitespace and encoding
    ['  padded  ', 'padded', 'single-line'],
    ['\u00A0nbsp\u3000', 'nbsp', 'single-line'],
    ['lone \uD800 surrogate', 'lone \uFFFD surrogate', 'single-line'],
  ];
  for (const [input, expected, mode] of cases) {
    it(`${mode}: ${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () =>
      assert.equal(sanitizeText(input, mode), expected));
  }

  it('returns the very same string when there is nothing to do', () => {
    const text = 'Nothing to do here';
    assert.equal(sanitizeText(text, 'single-line'), text);
  });

  it('takes linear time on hostile markup (60 kB in well under 150 ms)', () => {
    for (const unit of [
      '<script>',
      '<script',
      '<!--',
      '<a ',
      '<style>x',
      '\u200D',
      'a\u200Ca',
      '</script>',
    ]) {
      const text = unit.repeat(Math.floor(60_000 / unit.length));
      const started = process.hrtime.bigint();
      sanitizeText(text, 'multi-line');
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      assert.ok(ms < 150, `${JSON.stringify(unit)} took ${ms.toFixed(1)} ms`);
    }
  });

  it('is idempotent', () => {
    for (const [input, , mode] of cases) {
      const once = sanitizeText(input, mode);
      assert.equal(sanitizeText(once, mode), once, JSON.stringify(input));
    }
  });
});

describe('codePointLength', () => {
  const cases: [string, number][] = [
    ['', 0],
    ['abc', 3],
    ['🍕', 1],
    ['👨‍👩‍👧', 5], // three people and two joiners
    ['مرحبا', 5],
  ];
  for (const [text, length] of cases)
    it(`${JSON.stringify(text)} has ${length}`, () => assert.equal(codePointLength(text), length));
});

describe('checkText', () => {
  const name = { field: 'businessName', maxLength: 120, mode: 'single-line' } as const;

  const cases: [unknown, string | null, string[]][] = [
    ['Business 3', 'Business 3', []],
    ['مطعم الشام', 'مطعم الشام', []],
    ["x'; drop table tenants;--", "x'; drop table tenants;--", []],
    ['<script>alert(1)</script>Shop', 'Shop', ['sanitized-text']],
    [' Shop ', 'Shop', ['sanitized-text']],
    ['', null, ['empty-value']],
    ['   ', null, ['empty-value']],
    ['<script>x</script>', null, ['sanitized-text']],
    ['\u200B', null, ['sanitized-text']],
    ['a'.repeat(120), 'a'.repeat(120), []],
    ['🍕'.repeat(120), '🍕'.repeat(120), []], // 240 UTF-16 units, 120 characters
    [`${'a'.repeat(120)}<b></b>`, 'a'.repeat(120), ['sanitized-text']], // counted after sanitization
  ];
  for (const [value, expected, notes] of cases) {
    it(`accepts ${JSON.stringify(value).slice(0, 50)}`, () => {
      const outcome = checkText(value, name);
      assert.ok(outcome.ok);
      assert.equal(outcome.value, expected);
      assert.deepEqual(
        outcome.notes.map((n) => [n.code, n.field]),
        notes.map((c) => [c, 'businessName']),
      );
    });
  }

  const rejected: [unknown, string][] = [
    ['a'.repeat(121), 'text-too-long'],
    ['🍕'.repeat(121), 'text-too-long'],
    [42, 'invalid-type'],
    [['a'], 'invalid-type'],
    [{}, 'invalid-type'],
  ];
  for (const [value, code] of rejected) {
    it(`rejects ${JSON.stringify(value).slice(0, 30)} with ${code}`, () => {
      const outcome = checkText(value, name);
      assert.ok(!outcome.ok);
      assert.deepEqual(
        outcome.reasons.map((r) => [r.code, r.field]),
        [[code, 'businessName']],
      );
    });
  }

  it('keeps line breaks in multi-line fields and enforces their own limit', () => {
    const description = {
      field: 'businessDescription',
      maxLength: 2000,
      mode: 'multi-line',
    } as const;
    const ok = checkText('We bake.\nWe deliver.', description);
    assert.deepEqual(ok, { ok: true, value: 'We bake.\nWe deliver.', notes: [] });
    const long = checkText('x'.repeat(2001), description);
    assert.ok(!long.ok);
    assert.equal(long.reasons[0]?.code, 'text-too-long');
  });
});
