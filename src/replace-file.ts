import { randomBytes } from 'node:crypto';
import { realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `text` to `path`, readable by its owner only. A regular file (or a new one) is
 * written beside it under a temporary name and renamed over it, so a write that fails (a
 * full disk) leaves the old file whole: writing in place had truncated it first. Anything
 * else (a device such as /dev/stdout, a FIFO) is written in place: renaming over it would
 * replace the device itself.
 */
export function replaceFile(path: string, text: string): void {
  const target = existingTarget(path);
  if (target !== undefined && !statSync(target).isFile()) {
    writeFileSync(target, text, { mode: 0o600 });
    return;
  }
  const file = target ?? path;
  const partial = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    writeFileSync(partial, text, { mode: 0o600, flag: 'wx' });
    renameSync(partial, file);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

/** The file a path names through any symbolic links, so a link to the export is kept; undefined when there is none yet. */
function existingTarget(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
