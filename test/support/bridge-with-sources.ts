import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestBridge, type TestBridge } from './test-bridge.js';

/**
 * A test bridge whose config file names these sources, asked in this order. Short
 * timeouts and a breaker that never opens keep fault tests quick and independent.
 */
export async function startBridgeWithSources(
  sources: Record<string, unknown>[],
  order: { users?: string[]; contacts?: string[]; bySize?: Record<string, { users?: string[]; contacts?: string[] }> },
  env: Record<string, string> = {},
): Promise<TestBridge> {
  const dir = mkdtempSync(join(tmpdir(), 'epb-sources-'));
  const configFile = join(dir, 'bridge.json');
  writeFileSync(configFile, JSON.stringify({ sources, sourceOrder: { users: order.users ?? [], contacts: order.contacts ?? [], bySize: order.bySize ?? {} } }));
  const t = await startTestBridge({
    BRIDGE_CONFIG: configFile,
    BRIDGE_SOURCE_TIMEOUT_MS: '1000',
    BRIDGE_SOURCE_RETRIES: '1',
    BRIDGE_SOURCE_BREAKER_THRESHOLD: '1000',
    ...env,
  });
  return {
    ...t,
    async close() {
      await t.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
