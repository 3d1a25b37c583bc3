/**
 * The original system's invocation, `npx tsx scripts/migrate-tenants.ts [flags]`: runs this
 * project's CLI with the same flags (`--dry-run`, `--check`, `--test`, `--report`, `--backup`,
 * `--cleanup`, `--sync --subdomain <name>`, ...), its output and its exit code. It is the
 * `tenant-migrate` bin itself, so both forms run the CLI one way: compiled, in a plain Node.js
 * process of its own (Nest's dependency injection needs the decorator metadata `tsc` emits, and
 * tsx's module loader would load Nest a second time), built first when the build is missing.
 */
import '../bin/tenant-migrate.mjs';
