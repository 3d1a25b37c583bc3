import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { packageVersion } from './package-version.js';

/** A file system of `path → text` for `read`: any other path is missing. */
const files =
  (entries: Record<string, string>) =>
  (url: URL): string => {
    const text = entries[url.pathname];
    if (text === undefined) throw new Error(`ENOENT: ${url.pathname}`);
    return text;
  };

describe('packageVersion', () => {
  it("is this project's package.json version", () => {
    const { version } = JSON.parse(
      readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    assert.equal(packageVersion(new URL(import.meta.url)), version);
  });

  it('walks up to the first package.json with a version', () => {
    const read = files({
      '/p/dist/package.json': '{"type":"module"}',
      '/p/package.json': '{"name":"x","version":"1.2.3"}',
    });
    assert.equal(packageVersion(new URL('file:///p/dist/apps/cli/src/main.js'), read), '1.2.3');
  });

  it('fails when no package.json above has one', () => {
    assert.throws(
      () => packageVersion(new URL('file:///p/a/main.js'), files({})),
      /no package.json with a version above file:\/\/\/p\/a\/main.js/,
    );
  });
});
