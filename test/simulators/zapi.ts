import type { WhatsappCdn } from './whatsapp-cdn.js';
import { startGatewaySimulator, type GatewaySimulator } from './whatsapp-gateway.js';

export const ZAPI = { instance: '3C0FFEE0INSTANCE', token: 'F00DBABE0TOKEN', clientToken: 'F1234567890ACCOUNT' };

/** The answer Z-API gives a request without a Client-Token in the wild (issue 9's seed; field reports); tests inject it. */
export const CLIENT_TOKEN_NOT_CONFIGURED = { error: 'your client-token is not configured' };

/** The answer Z-API's docs give a request without the token an account has activated (docs/security/client-token.md). */
const CLIENT_TOKEN_MISSING = { error: 'null not allowed' };

/**
 * Z-API (https://developer.z-api.io, source github.com/Z-API/z-api-docs): the instance and
 * its token in the path, the account's security token in the `Client-Token` header.
 * - `/instances/{id}/token/{token}/profile-picture` and `…/status` only; another instance
 *   or token is 404 (docs/instance/status.md: "404 Instância não encontrada").
 * - The account's security token is optional and off until activated
 *   (docs/security/client-token.md): with `securityToken: false` any Client-Token, or none,
 *   is taken. Activated (the default), a request without it is 400 `{"error": "null not
 *   allowed"}` — the docs' body; they give no status, so 400 is field reports' — and a wrong
 *   one 403 `{"error":"Client-Token <the token sent> not allowed"}` as Z-API answers in the
 *   wild; the docs list 401 "Token inválido" (status.md, contacts/imagem.md), which tests
 *   inject as a fault.
 * - 415 on `profile-picture` without a JSON Content-Type, GET as it is: contacts/get-profile-picture.md
 *   lists "415 … certifique de adicionar na headers da requisição o "Content-Type" … "application/json""
 *   (the newer contacts/imagem.md says a GET needs none; the stricter page is played). status.md lists no 415.
 * - Status: `{"connected", "error", "smartphoneConnected"}`, error null when connected.
 */
export function startZapi(cdn: WhatsappCdn, account: { securityToken: boolean } = { securityToken: true }): Promise<GatewaySimulator> {
  return startGatewaySimulator(cdn, {
    endpointOf(pathname) {
      const match = /^\/instances\/([^/]+)\/token\/([^/]+)\/(profile-picture|status)$/.exec(pathname);
      if (!match || match[1] !== ZAPI.instance || match[2] !== ZAPI.token) return undefined;
      return match[3] as 'profile-picture' | 'status';
    },
    refusal(req) {
      if (!account.securityToken) return undefined;
      const sent = req.headers['client-token'];
      if (sent === undefined) return { status: 400, body: CLIENT_TOKEN_MISSING };
      if (sent !== ZAPI.clientToken) return { status: 403, body: { error: `Client-Token ${String(sent)} not allowed` } };
      return undefined;
    },
    requiresJsonContentType: new Set(['profile-picture']),
    statusBody: (connected) => ({ connected, error: connected ? null : 'You are not connected.', smartphoneConnected: connected }),
  });
}
