import { execFile, spawnSync } from 'node:child_process';
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
