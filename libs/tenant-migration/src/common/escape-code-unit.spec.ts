import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeCodePoint, escapeCodeUnit, unicodeEscape } from './escape-code-unit.js';

describe('escapeCodeUnit', () => {
  it('writes a byte as \\x and two lowercase hex digits', () => {
    assert.equal(escapeCodeUnit(0), '\\x00');
    assert.equal(escapeCodeUnit(0x1b), '\\x1b');
    assert.equal(escapeCodeUnit(0x5c), '\\x5c');
    assert.equal(escapeCodeUnit(0xff), '\\xff');
  });

  it('writes a wider code unit as \\u and four hex digits', () => {
    assert.equal(escapeCodeUnit(0x100), '\\u0100');
    assert.equal(escapeCodeUnit(0x202e), '\\u202e');
    assert.equal(escapeCodeUnit(0xd800), '\\ud800');
  });

  it('writes a code point beyond 0xffff in braces, and JSON escapes always with four digits', () => {
    assert.equal(escapeCodePoint(0xe0041), '\\u{e0041}');
    assert.equal(escapeCodePoint(0x10ffff), '\\u{10ffff}');
    assert.equal(escapeCodePoint(0x9b), '\\x9b');
    assert.equal(unicodeEscape(0x7f), '\\u007f');
  });
});
