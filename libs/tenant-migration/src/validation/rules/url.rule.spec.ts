import { describe } from 'node:test';
import { itChecksRuleCases } from './rule.spec-helpers.js';
import { checkHttpUrl } from './url.rule.js';

describe('checkHttpUrl', () => {
  const accepted: [string, string | null, string[]][] = [
    ['https://cdn.example.com/logo.png', 'https://cdn.example.com/logo.png', []],
    ['http://example.com/a?b=c#d', 'http://example.com/a?b=c#d', []],
    [' https://example.com/logo.svg ', 'https://example.com/logo.svg', ['sanitized-text']],
    [
      `https://example.com/${'a'.repeat(2048 - 20)}`,
      `https://example.com/${'a'.repeat(2048 - 20)}`,
      [],
    ],
    ['', null, ['empty-value']],
  ];

  const rejected: [unknown, string][] = [
    ['javascript:alert(1)', 'invalid-url'],
    ['data:image/png;base64,AAAA', 'invalid-url'],
    ['ftp://example.com/logo.png', 'invalid-url'],
    ['//example.com/logo.png', 'invalid-url'],
    ['example.com/logo.png', 'invalid-url'],
    ['logo.png', 'invalid-url'],
    ['https://example.com/"><script>alert(1)</script>', 'invalid-url'],
    ['https://exa mple.com/', 'invalid-url'],
    ['https://example.com/\u0000', 'invalid-url'],
    ['https://example.com/\uD800', 'invalid-url'],
    [`https://example.com/${'a'.repeat(2048)}`, 'text-too-long'],
    [42, 'invalid-type'],
  ];
  itChecksRuleCases({
    check: (value) => checkHttpUrl(value, 'logo'),
    field: 'logo',
    accepted,
    rejected,
    shown: 50,
  });
});
