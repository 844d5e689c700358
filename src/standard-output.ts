/**
 * The command line's answers on standard output, and what becomes of them when they cannot be
 * written. console.log swallows write errors (`account list > /dev/full` exited 0 having
 * written nothing), and a stream error without a listener is a crash with a stack trace; so
 * every answer goes through `print`, and `guardStandardOutput` listens once for the process.
 */
export function print(text: string): void {
  process.stdout.write(text);
}

export function printLine(text: string): void {
  print(`${text}\n`);
}

/**
 * Exit status when the reader went away (EPIPE: `export | head -1`): 141, 128 + SIGPIPE (13),
 * what the shell reports for cat, sort or grep that SIGPIPE ended. Node ignores SIGPIPE, so
 * the process cannot die of it; it exits with that status instead of 0, since the output was
 * not all written, and `set -o pipefail` scripts already read 141 that way.
 */
const READER_GONE_STATUS = 128 + 13;

/**
 * Ends the process on the first failed write to standard output: quietly when the reader went
 * away, as other tools do; otherwise (a full disk) with the one line `report` gives, and status 1.
 */
export function guardStandardOutput(report: (error: NodeJS.ErrnoException, done: () => void) => void): void {
  let failed = false;
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (failed) return;
    failed = true;
    if (error.code === 'EPIPE') process.exit(READER_GONE_STATUS);
    report(error, () => process.exit(1));
  });
}
