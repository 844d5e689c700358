import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** A server under test, in its own process so its CPU time is measured apart from the load generator's. */
export interface Child {
  name: string;
  process: ChildProcess;
  /** The last few kilobytes of its stderr, to explain why it died. */
  stderrTail(): string;
}

const STDERR_TAIL_BYTES = 8192;
const running = new Set<Child>();

// Whatever way the bench ends (error, watchdog, Ctrl-C), no server outlives it.
process.on('exit', () => {
  for (const child of running) child.process.kill('SIGKILL');
});

/**
 * Starts `node …args` (or another `command`) with stdout on /dev/null: the access log is
 * still formatted and written, but no disk or pipe slows it.
 */
export function startChild(name: string, args: string[], env: NodeJS.ProcessEnv, command = process.execPath): Child {
  const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    tail = (tail + text).slice(-STDERR_TAIL_BYTES);
  });
  const handle: Child = { name, process: child, stderrTail: () => tail };
  running.add(handle);
  child.once('exit', () => running.delete(handle));
  return handle;
}

/** SIGTERM, then SIGKILL if it has not gone after a grace period. */
export async function stopChild(child: Child, graceMs = 5000): Promise<void> {
  const { process: proc } = child;
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export function stopAllChildren(): Promise<void[]> {
  return Promise.all([...running].map((child) => stopChild(child)));
}

/**
 * A port that was free a moment ago. The server is told its port up front (rather
 * than binding 0 and reporting back) so both servers start the same simple way.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Polls until the URL answers 2xx; fails early, with the child's stderr, if the child dies.
 * A start-up time is only as fine as `pollMs`.
 */
export async function waitUntilAnswering(child: Child, url: string, timeoutMs = 15_000, pollMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`${child.name} exited before answering:\n${child.stderrTail()}`);
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`${child.name} did not answer ${url} within ${timeoutMs} ms:\n${child.stderrTail()}`);
}
