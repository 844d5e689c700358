import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The interpreter that sees the Debian packages python3-exchangelib and python3-zeep.
 * A python3 earlier on PATH (pyenv, a venv) usually cannot, hence the absolute path;
 * EWS_INTEROP_PYTHON points elsewhere when a machine keeps them somewhere else.
 */
const PYTHON = process.env.EWS_INTEROP_PYTHON ?? '/usr/bin/python3';

/** A script next to this file, by name. */
export function pythonScript(name: string): string {
  return fileURLToPath(new URL(name, import.meta.url));
}

/**
 * Runs one client script and returns the one JSON object it prints. Asynchronous on
 * purpose: the bridge answering the script lives in this same process, so a blocking
 * spawnSync would leave it unable to answer. A non-zero exit, a timeout or output that
 * is not JSON rejects with the script's own message.
 */
export function runPythonClient(script: string, args: readonly string[], timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [script, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Requests to 127.0.0.1 must never go through a proxy a CI machine may configure.
      env: { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', PYTHONDONTWRITEBYTECODE: '1' },
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not finish within ${timeoutMs} ms\n${Buffer.concat(stderr).toString()}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${PYTHON} (set EWS_INTEROP_PYTHON to a python3 with exchangelib and zeep): ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const out = Buffer.concat(stdout).toString().trim();
      const err = Buffer.concat(stderr).toString().trim();
      if (code !== 0) {
        reject(new Error(`${script} exited with ${code ?? signal}:\n${err}`));
        return;
      }
      try {
        resolve(JSON.parse(out) as unknown);
      } catch {
        reject(new Error(`${script} printed something that is not JSON:\n${out.slice(0, 2000)}\n${err}`));
      }
    });
  });
}
