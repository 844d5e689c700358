import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';

export const ISSUER = 'https://login.example.com/tenant/v2.0';
export const AUDIENCE = 'api://photo-bridge';

interface TokenOptions {
  issuer?: string;
  audience?: string;
  /** As jose takes it: '10m', or an absolute time in seconds since the epoch. */
  expiresIn?: string | number;
  key?: CryptoKey;
}

/** A local identity provider: an RS256 key pair, its public key in a PEM file, and tokens signed with it. */
export interface TestIssuer {
  /** Settings that make a bridge trust this issuer. */
  env: Record<string, string>;
  sign(claims?: JWTPayload, options?: TokenOptions): Promise<string>;
  close(): void;
}

export async function createTestIssuer(): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const dir = mkdtempSync(join(tmpdir(), 'epb-jwt-'));
  const keyFile = join(dir, 'public.pem');
  writeFileSync(keyFile, await exportSPKI(publicKey));
  return {
    env: { BRIDGE_JWT_PUBLIC_KEY_FILE: keyFile, BRIDGE_JWT_ISSUER: ISSUER, BRIDGE_JWT_AUDIENCE: AUDIENCE },
    sign: (claims = {}, options = {}) =>
      new SignJWT({ preferred_username: 'Reader@Contoso.com', ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'test' })
        .setIssuer(options.issuer ?? ISSUER)
        .setAudience(options.audience ?? AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? '10m')
        .sign(options.key ?? privateKey),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
