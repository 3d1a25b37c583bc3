import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { itChecksRuleCases } from './rule.spec-helpers.js';
import { checkEmail } from './email.rule.js';

describe('checkEmail', () => {
  const accepted: [string, string | null, string[]][] = [
    ['owner1@example.com', 'owner1@example.com', []],
    ['Owner.Name+tag@Example.COM', 'Owner.Name+tag@example.com', ['normalized-email']], // local part kept
    ['  a.b@example.co.uk ', 'a.b@example.co.uk', ['normalized-email']],
    ['δοκιμή@example.com', 'δοκιμή@example.com', []],
    ['', null, ['empty-value']],
    ['   ', null, ['empty-value']],
  ];

  const rejected: [unknown, string][] = [
    ['a@b..c', 'invalid-email'],
    ['a@b.c', 'invalid-email'], // one-letter TLD
    ['plainaddress', 'invalid-email'],
    ['@example.com', 'invalid-email'],
    ['a@', 'invalid-email'],
    ['a b@example.com', 'invalid-email'],
    ['Name <a@example.com>', 'invalid-email'],
    ['a@[127.0.0.1]', 'invalid-email'],
    ['a@localhost', 'invalid-email'],
    ['a\uD800@example.com', 'invalid-email'],
    ['<script>@example.com', 'invalid-email'],
    [`${'a'.repeat(250)}@example.com`, 'email-too-long'],
    [42, 'invalid-type'],
    [{ email: 'a@example.com' }, 'invalid-type'],
  ];
  itChecksRuleCases({
    check: checkEmail,
    field: 'email',
    accepted,
    rejected,
  });

  it('trims a trailing newline (whitespace) and notes it', () => {
    const outcome = checkEmail('a@example.com\n');
    assert.ok(outcome.ok);
    assert.equal(outcome.value, 'a@example.com');
    assert.deepEqual(
      outcome.notes.map((n) => n.code),
      ['normalized-email'],
    );
  });

  it('accepts exactly 254 characters', () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(57)}.com`;
    assert.equal(email.length, 254);
    assert.equal(checkEmail(email).ok, true);
  });
});
