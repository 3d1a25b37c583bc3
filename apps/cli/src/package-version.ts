/**
 * The version `tenant-migrate --version` prints: package.json's, read when the CLI starts, so a
 * release changes it in one place. The file is found by walking up from this module (the
 * compiled one lives under dist/), to the first package.json that has a version.
 */
import { readFileSync } from 'node:fs';

/** The `version` of the nearest package.json above `from` (a file or folder URL). */
export const packageVersion = (
  from: URL,
  read = (url: URL) => readFileSync(url, 'utf8'),
): string => {
  for (let folder = new URL('./', from); ; folder = new URL('../', folder)) {
    const file = new URL('package.json', folder);
    let text: string | undefined;
    try {
      text = read(file);
    } catch {
      // no package.json here: look one folder up
    }
    if (text !== undefined) {
      const { version } = JSON.parse(text) as { version?: unknown };
      if (typeof version === 'string') return version;
    }
    if (new URL('../', folder).href === folder.href)
      throw new Error(`no package.json with a version above ${from.href}`);
  }
};
