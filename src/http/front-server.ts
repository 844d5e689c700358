import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { ConfigError } from '../config.js';

export interface TlsFiles {
  /** PEM certificate chain; empty for plain HTTP. */
  certFile: string;
  keyFile: string;
}

export interface FrontServer {
  server: Server;
  /** Whether the server speaks TLS itself. */
  readonly tls: boolean;
  /**
   * Reads the certificate and key again (after a renewal) for new connections; open ones
   * keep theirs. Throws, keeping the old pair, when the new files do not load.
   */
  reloadTls(): void;
}

/**
 * The public listener: plain HTTP for a site with a TLS proxy in front, or HTTPS with the
 * operator's certificate and key files for a site without one.
 */
export function createFrontServer(files: TlsFiles, listener: RequestListener): FrontServer {
  if ((files.certFile === '') !== (files.keyFile === '')) {
    throw new ConfigError(['BRIDGE_TLS_CERT_FILE and BRIDGE_TLS_KEY_FILE: set both for HTTPS, or neither for plain HTTP']);
  }
  if (files.certFile === '') {
    return {
      server: createHttpServer(listener),
      tls: false,
      reloadTls: () => {
        throw new Error('no TLS files are configured');
      },
    };
  }
  const server = createHttpsServer(readPair(files), listener);
  return { server, tls: true, reloadTls: () => server.setSecureContext(readPair(files)) };
}

function readPair(files: TlsFiles): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
}
