import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/**
 * Two /64s of the documentation prefix (RFC 3849, 2001:db8::/32), picked at random so that
 * test runs side by side on one host do not take each other's addresses.
 */
export function documentationNetworks(): [string, string] {
  const site = randomBytes(2).toString('hex');
  return [`2001:db8:${site}:1`, `2001:db8:${site}:2`];
}

/**
 * Adds IPv6 addresses to the loopback interface, so that a test can connect from several
 * addresses of one /64 as a real IPv6 host can; returns the undo, which removes them. Needs
 * root (CAP_NET_ADMIN), as the tests run in CI. `nodad`: usable at once, without duplicate
 * address detection.
 */
export function addLoopbackAddresses(addresses: readonly string[]): () => void {
  const added: string[] = [];
  const undo = () => {
    for (const address of added.splice(0)) execFileSync('ip', ['-6', 'addr', 'del', `${address}/128`, 'dev', 'lo']);
  };
  try {
    for (const address of addresses) {
      execFileSync('ip', ['-6', 'addr', 'add', `${address}/128`, 'dev', 'lo', 'nodad'], { stdio: ['ignore', 'ignore', 'pipe'] });
      added.push(address);
    }
  } catch (error) {
    undo();
    throw new Error(`cannot add ${addresses.join(', ')} to lo (root, CAP_NET_ADMIN is needed): ${(error as Error).message}`, { cause: error });
  }
  return undo;
}
