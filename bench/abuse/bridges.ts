import { freePort, startChild, stopChild, waitUntilAnswering, type Child } from '../children.js';
import { benchEnv } from '../fixture.js';
import { CLI } from '../http.js';

export interface RunningBridge {
  name: string;
  base: string;
  endpoint: string;
  pid: number;
  child: Child;
}

/**
 * `node dist/cli.js serve` on the prepared database, at its defaults (access log on,
 * to /dev/null) plus `settings`. Every BRIDGE_* variable of the caller's shell is dropped.
 */
export async function startBridge(name: string, databasePath: string, settings: Record<string, string> = {}): Promise<RunningBridge> {
  const port = await freePort();
  const child = startChild(name, [CLI, 'serve', '--port', String(port), '--no-demo'], benchEnv({ BRIDGE_DB: databasePath, ...settings }));
  const base = `http://127.0.0.1:${port}`;
  await waitUntilAnswering(child, `${base}/healthz`);
  return { name, base, endpoint: `${base}/EWS/Exchange.asmx`, pid: child.process.pid!, child };
}

export function stopBridge(bridge: RunningBridge): Promise<void> {
  return stopChild(bridge.child);
}
