import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { terminalSafeJson, terminalText } from './terminal-text.js';

/** What a terminal must never receive raw from the stores. */
const RAW =
  // eslint-disable-next-line no-control-regex -- the test must name the C0 controls it rules out
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/u;

describe('terminalText', () => {
  it('shows C0, DEL and C1 controls as \\x escapes', () => {
    assert.equal(terminalText('\x1b]0;pwned\x07'), '\\x1b]0;pwned\\x07');
    assert.equal(terminalText('a\rb\nc\td\x00\x7f'), 'a\\x0db\\x0ac\\x09d\\x00\\x7f');
    assert.equal(terminalText('\u009b31m\u0085'), '\\x9b31m\\x85');
  });

  it('shows bidi, zero-width and other invisible format characters as \\u escapes', () => {
    assert.equal(terminalText('rtl\u202egpj.exe'), 'rtl\\u202egpj.exe');
    assert.equal(
      terminalText('\u2066\u2067\u2068\u2069\u200b\u200e\u200f\ufeff\u2028\u2029\u00ad\u061c'),
      '\\u2066\\u2067\\u2068\\u2069\\u200b\\u200e\\u200f\\ufeff\\u2028\\u2029\\xad\\u061c',
    );
    assert.equal(terminalText('sh\u200dop'), 'sh\\u200dop');
    assert.equal(terminalText('tag\u{E0041}'), 'tag\\u{e0041}');
  });

  it('shows a lone surrogate escaped instead of letting it become U+FFFD', () => {
    assert.equal(terminalText('a\ud800b'), 'a\\ud800b');
    assert.equal(terminalText('\udc00'), '\\udc00');
  });

  it('leaves ordinary text, accents, CJK and emoji (with their joiners and tags) alone', () => {
    for (const text of [
      'Salon Élise',
      '東京',
      '🍕',
      '👩‍💻',
      '👨‍👩‍👧',
      '🏳️‍🌈',
      '👩🏽‍💻',
      '🏴󠁧󠁢󠁳󠁣󠁴󠁿',
      '❤️',
      'a\\x1b',
      '',
    ]) {
      assert.equal(terminalText(text), text, JSON.stringify(text));
    }
  });

  it('leaves nothing raw whatever the input', () => {
    let all = '';
    for (let code = 0; code < 0x3000; code++) all += String.fromCharCode(code);
    assert.equal(RAW.exec(terminalText(all)), null);
  });
});

describe('terminalSafeJson', () => {
  it('escapes C1, DEL, U+2028/U+2029 and bidi characters and parses back to the same value', () => {
    const value = {
      key: 'k\u009b\u007f\u2028\u2029\u202e\u2066\u200b\u{E0041}',
      emoji: '👩‍💻',
      ctl: '\x1b\r',
    };
    const json = terminalSafeJson(JSON.stringify(value, null, 2));
    // the joiner inside the emoji stays, as in the human view
    assert.equal(RAW.exec(json.replace(/\n/g, '').replace('👩‍💻', '')), null);
    assert.deepEqual(JSON.parse(json), value);
    assert.match(json, /\\u009b\\u007f\\u2028\\u2029\\u202e\\u2066\\u200b\\udb40\\udc41/);
    assert.match(json, /"👩‍💻"/);
  });
});
