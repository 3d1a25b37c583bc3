import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl } from './redact-url.js';

describe('redactUrl', () => {
  it('hides the password and keeps the rest', () => {
    assert.equal(
      redactUrl('postgres://app:s3cret@db:5432/prod'),
      'postgres://app:***@db:5432/prod',
    );
    assert.equal(
      redactUrl('rediss://default:tok@eu1.example.io:6379'),
      'rediss://default:***@eu1.example.io:6379',
    );
  });
  it('hides secret-looking query parameters', () => {
    assert.equal(redactUrl('redis://h:6379?token=abc&db=2'), 'redis://h:6379?token=***&db=2');
  });
  it('leaves URLs without secrets alone and never echoes garbage', () => {
    assert.equal(redactUrl('redis://127.0.0.1:6379'), 'redis://127.0.0.1:6379');
    assert.equal(redactUrl('not a url :secret@'), '<unparseable url>');
  });
});
