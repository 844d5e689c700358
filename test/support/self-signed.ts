import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * A self-signed P-256 certificate for loopback, made by openssl (valid a day), written
 * as `{dir}/{name}.key` and `{dir}/{name}.pem`. Test servers speaking TLS use it, and
 * their clients trust exactly it.
 */
export function makeSelfSignedCertificate(dir: string, options: { name: string; commonName: string; altNames: string }): { keyFile: string; certFile: string } {
  const keyFile = join(dir, `${options.name}.key`);
  const certFile = join(dir, `${options.name}.pem`);
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'];
  execFileSync(
    'openssl',
    [...args, '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${options.commonName}`, '-addext', `subjectAltName=${options.altNames}`],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  return { keyFile, certFile };
}
