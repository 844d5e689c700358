import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Config } from './config.js';

/** A listener on every address is asked on the loopback one. */
const EVERY_ADDRESS: Readonly<Record<string, string>> = { '0.0.0.0': '127.0.0.1', '::': '::1' };

/**
 * Whether the bridge these settings start is ready: `/readyz` on its own address and port,
 * over HTTPS when it speaks TLS itself (a container's HEALTHCHECK asked over HTTP, and so
 * found a bridge with built-in TLS never healthy). Undefined when it is; else why not.
 */
export function readinessProblem(settings: Pick<Config, 'host' | 'port' | 'tlsCertFile'>, timeoutMs = 4000): Promise<string | undefined> {
  const host = EVERY_ADDRESS[settings.host] ?? settings.host;
  const send = settings.tlsCertFile === '' ? httpRequest : httpsRequest;
  return new Promise((resolve) => {
    // The certificate names the public host, not the address asked here: this asks the process itself.
    const asked = send({ host, port: settings.port, path: '/readyz', timeout: timeoutMs, rejectUnauthorized: false, agent: false }, (answer) => {
      answer.resume();
      resolve(answer.statusCode === 200 ? undefined : `/readyz answered ${answer.statusCode}`);
    });
    asked.on('timeout', () => asked.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    asked.on('error', (error) => resolve(`cannot reach ${host}:${settings.port}: ${error.message}`));
    asked.end();
  });
}
