import { readFileSync } from 'node:fs';

/** A process's resident memory in MiB (VmRSS of /proc/PID/status); undefined where there is no /proc or the process is gone. */
export function rssMebibytesOf(pid: number): number | undefined {
  try {
    const kibibytes = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kibibytes === undefined ? undefined : Number(kibibytes) / 1024;
  } catch {
    return undefined;
  }
}
