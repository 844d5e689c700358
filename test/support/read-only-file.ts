import { execFileSync } from 'node:child_process';
import { chmodSync, statSync } from 'node:fs';

/**
 * Makes an existing file one that this process, and the commands it starts, can no longer
 * open for writing, as an operator's chmod does; returns the undo, which must run before the
 * file can be removed. Root is not stopped by file modes, only by the immutable attribute
 * (chattr +i, CAP_LINUX_IMMUTABLE): open(O_RDWR) then fails with EPERM rather than EACCES,
 * and SQLite opens the file for reading all the same. Descriptors opened before keep writing.
 */
export function makeReadOnly(file: string): () => void {
  if (process.getuid?.() !== 0) {
    const mode = statSync(file).mode & 0o777;
    chmodSync(file, 0o444);
    return () => chmodSync(file, mode);
  }
  execFileSync('chattr', ['+i', file]);
  return () => execFileSync('chattr', ['-i', file]);
}
