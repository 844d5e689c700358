import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { exportJWK, exportSPKI, type CryptoKey, type JWK } from 'jose';

/*
 * Node 20 can deadlock using a key that a key-generation job made while that finished job is
 * still to be collected: exporting a JWK holds the key's lock while it allocates, and a garbage
 * collection meanwhile finalizes the job, whose destructor takes the same lock (gdb:
 * KeyObjectHandle::ExportJWK → … → Heap::CollectGarbage → ~KeyGenJob → pthread_mutex_lock;
 * mocha's main thread waited for ever at test/cli/sources-check.test.ts's SuperOffice step; 3,000
 * keys exported 50 times each hung within 60 s, and finished in 8 s from copies). A copy read
 * back from the key's PEM has a lock of its own.
 */

/** An RSA key pair as copies of the generated keys: safe to use while the generation job waits to be collected. */
export function rsaKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  const generated = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: createPrivateKey(generated.privateKey.export({ type: 'pkcs8', format: 'pem' })),
    publicKey: createPublicKey(generated.publicKey.export({ type: 'spki', format: 'pem' })),
  };
}

/** A generated public key as a JWK, exported from a copy of it. */
export async function publicJwk(key: KeyObject | CryptoKey): Promise<JWK> {
  const spki = key instanceof KeyObject ? key.export({ type: 'spki', format: 'pem' }) : await exportSPKI(key);
  return exportJWK(createPublicKey(spki));
}
