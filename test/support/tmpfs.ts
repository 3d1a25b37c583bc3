/**
 * Small real file systems for tests of a full or read-only disk: a tmpfs mounted at a new
 * folder (never a simulated ENOSPC). Mounting needs root; where the sandbox refuses it, `mount`
 * gives null and the caller skips its case, saying why.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Mounts a tmpfs with these mount options (`size=64k`, `ro,size=64k`) at a new folder, or returns null where mounts are refused. */
export const mountTmpfs = async (options: string): Promise<string | null> => {
  const dir = await mkdtemp(join(tmpdir(), 'tm-faults-fs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    await rm(dir, { recursive: true, force: true });
    return null;
  }
};

/** Unmounts a folder `mountTmpfs` gave (null: nothing to do) and removes it. */
export const unmountTmpfs = async (dir: string | null): Promise<void> => {
  if (!dir) return;
  execFileSync('umount', [dir], { stdio: 'ignore' });
  await rm(dir, { recursive: true, force: true });
};
