import { createPublicKey, KeyObject } from 'node:crypto';
import { exportJWK, exportSPKI, type CryptoKey, type JWK } from 'jose';

/**
 * A generated public key as a JWK, exported from a copy of it read back from its SPKI form.
 * Node 20 can deadlock exporting a JWK of the key a key-generation job made: the export holds
 * the key's lock while it allocates, and a garbage collection meanwhile finalizes the finished
 * job, whose destructor takes the same lock (gdb: KeyObjectHandle::ExportJWK → … →
 * Heap::CollectGarbage → ~KeyGenJob → pthread_mutex_lock; mocha's main thread waited for ever at
 * test/cli/sources-check.test.ts's SuperOffice step). The copy has a lock of its own.
 */
export async function publicJwk(key: KeyObject | CryptoKey): Promise<JWK> {
  const spki = key instanceof KeyObject ? key.export({ type: 'spki', format: 'pem' }) : await exportSPKI(key);
  return exportJWK(createPublicKey(spki));
}
