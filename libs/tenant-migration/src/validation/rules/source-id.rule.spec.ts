import { describe } from 'node:test';
import { itChecksRuleCases } from './rule.spec-helpers.js';
import { checkSourceId } from './source-id.rule.js';

describe('checkSourceId', () => {
  const accepted: [unknown, string | null, string[]][] = [
    ['ten_3', 'ten_3', []],
    ['8483fddf-0bff-5271-8f60-456a6c654b8c', '8483fddf-0bff-5271-8f60-456a6c654b8c', []],
    ['x'.repeat(255), 'x'.repeat(255), []],
    [42, '42', ['coerced-source-id']],
    ['', null, ['empty-value']],
  ];

  const rejected: [unknown, string][] = [
    ['x'.repeat(256), 'invalid-source-id'],
    ['ten\n3', 'invalid-source-id'],
    ['ten\uD800', 'invalid-source-id'],
    [1.5, 'invalid-source-id'],
    [2 ** 60, 'invalid-source-id'],
    [true, 'invalid-type'],
    [{ id: 1 }, 'invalid-type'],
  ];
  itChecksRuleCases({
    check: checkSourceId,
    field: 'id',
    accepted,
    rejected,
  });
});
