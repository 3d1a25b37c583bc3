#!/usr/bin/env node
// Bundles the compiled CLI (dist/apps/cli/src/main.js, from `tsc -b`) and everything it imports
// into one ES module, dist/cli/tenant-migrate.mjs: the CLI starts about twice as fast when Node.js
// reads, resolves and links one file instead of some 2,800. The compiled JavaScript is bundled, not
// the TypeScript, so the decorator metadata Nest's injection reads is tsc's own. Names are kept
// (Nest and TypeORM know classes by name) and nothing is minified, so stack traces stay readable.
//
// `--check` bundles nothing: it exits 1 when the bundle is missing or older than a file it was
// built from (the inputs esbuild recorded beside it), so a stale bundle is never run by the tests.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}dist/cli/tenant-migrate.mjs`;
const inputsFile = `${root}dist/cli/inputs.json`;

if (process.argv.includes('--check')) {
  const builtAt = (() => {
    try {
      return statSync(outfile).mtimeMs;
    } catch {
      return undefined;
    }
  })();
  const inputs = (() => {
    try {
      return JSON.parse(readFileSync(inputsFile, 'utf8'));
    } catch {
      return undefined;
    }
  })();
  const newer =
    builtAt === undefined || !Array.isArray(inputs)
      ? ['(no bundle)']
      : inputs.filter((input) => {
          try {
            return statSync(`${root}${input}`).mtimeMs > builtAt;
          } catch {
            return true; // an input that is gone: the bundle was built from other sources
          }
        });
  if (newer.length > 0) {
    console.error(
      `bundle-cli: dist/cli/tenant-migrate.mjs is missing or older than ${newer[0]}: run \`npm run build\``,
    );
    process.exit(1);
  }
  process.exit(0);
}

const result = await build({
  absWorkingDir: root,
  entryPoints: ['dist/apps/cli/src/main.js'],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  keepNames: true,
  metafile: true,
  logLevel: 'warning',
  // Packages the bundled ones load only if they are installed, or only on a path the CLI never
  // takes (shell completion scripts formatted with prettier, cosmiconfig's TypeScript loader, Nest's
  // transports, other ORMs' health checks): left to a run-time require, which never happens.
  external: [
    '@fastify/static',
    '@mikro-orm/core',
    '@nestjs/microservices',
    '@nestjs/microservices/*',
    '@nestjs/mongoose',
    '@nestjs/sequelize/*',
    '@nestjs/typeorm/dist/*',
    '@nestjs/websockets/*',
    'pg-native',
    'prettier',
    'typescript',
  ],
  // The CommonJS packages inside an ES module still find require, __filename and __dirname.
  banner: {
    js: [
      "import { createRequire as __tmCreateRequire } from 'node:module';",
      "import { fileURLToPath as __tmFileURLToPath } from 'node:url';",
      'const require = __tmCreateRequire(import.meta.url);',
      'const __filename = __tmFileURLToPath(import.meta.url);',
      "const __dirname = __tmFileURLToPath(new URL('.', import.meta.url));",
    ].join('\n'),
  },
});
writeFileSync(inputsFile, `${JSON.stringify(Object.keys(result.metafile.inputs))}\n`);
