import { readFileSync, statSync } from 'node:fs';

/**
 * The other processes holding a POSIX lock on any of `files`, as Linux lists them in
 * /proc/locks (https://man7.org/linux/man-pages/man5/proc.5.html): a SQLite connection in
 * WAL mode holds a read lock on its `-shm` file for its whole life. Empty where that list
 * cannot be read (another system) or names no one; a waiting lock ("->") holds nothing yet.
 */
export function lockHolders(files: readonly string[]): number[] {
  const wanted = new Set(files.flatMap((file) => fileKey(file) ?? []));
  let table: string;
  try {
    table = readFileSync('/proc/locks', 'utf8');
  } catch {
    return [];
  }
  const pids = new Set<number>();
  for (const line of table.split('\n')) {
    const held = /^\d+:\s+POSIX\s+\S+\s+\S+\s+(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/.exec(line);
    if (!held) continue;
    const [, pid, major, minor, inode] = held;
    if (Number(pid) !== process.pid && wanted.has(`${parseInt(major!, 16)}:${parseInt(minor!, 16)}:${inode}`)) pids.add(Number(pid));
  }
  return [...pids].sort((a, b) => a - b);
}

/** A file's device and inode as /proc/locks gives them; undefined for a file not there. */
function fileKey(file: string): string | undefined {
  const stat = statSync(file, { bigint: true, throwIfNoEntry: false });
  if (!stat) return undefined;
  // glibc's gnu_dev_major and gnu_dev_minor.
  const major = ((stat.dev >> 8n) & 0xfffn) | ((stat.dev >> 32n) & 0xfffff000n);
  const minor = (stat.dev & 0xffn) | ((stat.dev >> 12n) & 0xffffff00n);
  return `${major}:${minor}:${stat.ino}`;
}
