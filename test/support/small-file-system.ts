import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Mounts a tmpfs of `bytes` on a new folder, for a disk that fills up as a real one does
 * (SQLite then says SQLITE_FULL, the file system ENOSPC); returns the folder and the undo,
 * which unmounts and removes it. Needs root (CAP_SYS_ADMIN), as the tests run in CI.
 */
export function mountSmallFileSystem(bytes: number): { dir: string; undo: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'epb-small-fs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0700`, 'tmpfs', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`cannot mount a tmpfs on ${dir} (root, CAP_SYS_ADMIN is needed): ${(error as Error).message}`, { cause: error });
  }
  return {
    dir,
    undo: () => {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
