import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkEmoji, isSingleEmoji } from './emoji.rule.js';

describe('isSingleEmoji', () => {
  const valid: [string, string][] = [
    ['🍕', 'a pictograph'],
    ['🚀', 'another pictograph'],
    ['⚽', 'an emoji-presentation BMP symbol'],
    ['❤', 'a text-presentation pictograph'],
    ['❤️', 'with VS16'],
    ['👍🏽', 'with a skin tone'],
    ['👨‍👩‍👧', 'a family ZWJ sequence'],
    ['👩🏽‍💻', 'a ZWJ sequence with a skin tone'],
    ['🧑🏽‍🦰', 'with hair component'],
    ['🏳️‍🌈', 'a flag ZWJ sequence with VS16'],
    ['❤️‍🔥', 'a ZWJ sequence of BMP and astral'],
    ['🇫🇷', 'a regional-indicator flag'],
    ['🇯🇵', 'another flag'],
    ['🏴󠁧󠁢󠁳󠁣󠁴󠁿', 'a tag-sequence subdivision flag'],
    ['1️⃣', 'a keycap'],
    ['#️⃣', 'a # keycap'],
    ['🏽', 'a lone skin-tone swatch'],
  ];
  for (const [text, what] of valid)
    it(`accepts ${what}: ${text}`, () => assert.equal(isSingleEmoji(text), true));

  const invalid: [string, string][] = [
    ['', 'empty'],
    ['pizza', 'a word'],
    ['a', 'a letter'],
    ['1', 'a digit alone'],
    ['#', 'a # alone'],
    [':)', 'a text smiley'],
    ['🍕🍕', 'two emoji'],
    ['🇫🇷🇯🇵', 'two flags'],
    ['🍕a', 'an emoji and a letter'],
    ['a🍕', 'a letter and an emoji'],
    ['🇫', 'a lone regional indicator'],
    ['🏽\u200D🍕', 'two graphemes joined by ZWJ without a pictographic base'],
    ['\u200D', 'a ZWJ alone'],
    ['🍕 ', 'an emoji with a space'],
    ['\uD83C', 'a lone surrogate'],
    ['👍'.repeat(40), 'a long run'],
    ['©x', 'a pictograph with text'],
  ];
  for (const [text, what] of invalid)
    it(`rejects ${what}`, () => assert.equal(isSingleEmoji(text), false));

  it('gives the same verdict from its cache', () => {
    for (let i = 0; i < 3; i++) {
      assert.equal(isSingleEmoji('👨‍👩‍👧'), true);
      assert.equal(isSingleEmoji('🍕🍕'), false);
    }
  });
});

describe('checkEmoji', () => {
  it('accepts one emoji unchanged, without notes', () => {
    const outcome = checkEmoji('👨‍👩‍👧');
    assert.deepEqual(outcome, { ok: true, value: '👨‍👩‍👧', notes: [] });
  });

  it('trims surrounding whitespace and notes it', () => {
    const outcome = checkEmoji(' 🍕\n');
    assert.ok(outcome.ok);
    assert.equal(outcome.value, '🍕');
    assert.deepEqual(
      outcome.notes.map((n) => [n.code, n.field]),
      [['sanitized-text', 'emoji']],
    );
  });

  const rejected: [unknown, string][] = [
    ['pizza', 'invalid-emoji'],
    ['', 'invalid-emoji'],
    ['🍕🍕', 'invalid-emoji'],
    [42, 'invalid-type'],
    [true, 'invalid-type'],
    [['🍕'], 'invalid-type'],
  ];
  for (const [value, code] of rejected) {
    it(`rejects ${JSON.stringify(value)} with ${code}`, () => {
      const outcome = checkEmoji(value);
      assert.ok(!outcome.ok);
      assert.deepEqual(
        outcome.reasons.map((r) => [r.code, r.field]),
        [[code, 'emoji']],
      );
    });
  }
});
