import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real command line in its own process, as an operator would. */
export function runCli(args: string[], options: { input?: string; env?: Record<string, string> } = {}): CliResult {
  const result = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args], {
    input: options.input ?? '',
    encoding: 'utf8',
    env: { ...process.env, BRIDGE_LOG_LEVEL: 'silent', ...options.env },
    // A limit for a child that hangs, not a measure: the run's first CLI transpiles cold, and once took over a minute on a loaded host.
    timeout: 180_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The same, without blocking this process: for a command that talks to a server this process runs. */
export function runCliInBackground(args: string[], options: { env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const env = { ...process.env, BRIDGE_LOG_LEVEL: 'silent', ...options.env };
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { env, encoding: 'utf8', timeout: 180_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

/**
 * The command line in its own process with the standard streams given (a file such as
 * /dev/full), or with `pipedTo` its standard output piped by a shell into that command: a real
 * pipe, 64 KiB, where the socket pair node gives a child buffers the whole of a larger output.
 */
export function spawnCli(args: string[], stdout: number | 'ignore', pipedTo?: string): ChildProcess {
  const cli = [process.execPath, '--import', 'tsx', CLI, ...args];
  const env = { ...process.env, BRIDGE_LOG_LEVEL: 'silent' };
  if (pipedTo === undefined) return spawn(cli[0]!, cli.slice(1), { stdio: ['ignore', stdout, 'pipe'], env });
  // The CLI's own exit status, not the reader's.
  return spawn('bash', ['-c', `"$@" | ${pipedTo}; exit \${PIPESTATUS[0]}`, 'bash', ...cli], { stdio: ['ignore', stdout, 'pipe'], env });
}
