import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The library's folders from the bottom up: a folder may import its own files and the folders
 * before it, never one after it. The files at the top of `src/` (options, tokens, providers,
 * the module) are the configuration and the composition root, outside the layers.
 */
const LAYERS = [
  'common',
  'errors',
  'database',
  'tenants',
  'validation',
  'source',
  'audit',
  'migration',
  'backup',
  'integrity',
  'self-test',
  'compat',
  'operations',
  'http',
] as const;

const SOURCE = join(
  fileURLToPath(new URL('../../../../', import.meta.url)),
  'libs/tenant-migration/src',
);

const sourceFiles = (folder: string): string[] =>
  readdirSync(join(SOURCE, folder), { withFileTypes: true, recursive: true })
    .filter(
      (entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts'),
    )
    .map((entry) => relative(SOURCE, join(entry.parentPath, entry.name)));

/** The folder a relative import from `file` lands in ('' for the top of `src/`). */
const importedFolders = (file: string): string[] =>
  [...readFileSync(join(SOURCE, file), 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)].map(
    (match) => {
      const target = normalize(join(dirname(file), match[1]));
      return target.includes('/') ? target.slice(0, target.indexOf('/')) : '';
    },
  );

describe('library layering', () => {
  it('lists every folder of the library in a layer', () => {
    const folders = readdirSync(SOURCE, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
    assert.deepEqual(folders, [...LAYERS].sort());
  });

  it('has no folder importing a folder above it', () => {
    const upward: string[] = [];
    LAYERS.forEach((layer, rank) => {
      for (const file of sourceFiles(layer)) {
        for (const folder of importedFolders(file)) {
          const above = LAYERS.indexOf(folder as (typeof LAYERS)[number]);
          if (above > rank) upward.push(`${file} imports ${folder}/`);
        }
      }
    });
    assert.deepEqual(upward, []);
  });
});
