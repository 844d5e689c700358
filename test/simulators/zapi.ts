import type { WhatsappCdn } from './whatsapp-cdn.js';
import { startGatewaySimulator, type GatewaySimulator } from './whatsapp-gateway.js';

export const ZAPI = { instance: '3C0FFEE0INSTANCE', token: 'F00DBABE0TOKEN', clientToken: 'F1234567890ACCOUNT' };

/**
 * Z-API: the instance and its token in the path, the account's security token in the
 * `Client-Token` header. A wrong instance or token is 404, a wrong Client-Token 403.
 */
export function startZapi(cdn: WhatsappCdn): Promise<GatewaySimulator> {
  const prefix = `/instances/${ZAPI.instance}/token/`;
  return startGatewaySimulator(cdn, {
    endpointOf(pathname) {
      const match = /^\/instances\/([^/]+)\/token\/([^/]+)\/(profile-picture|status)$/.exec(pathname);
      return match ? (match[3] as 'profile-picture' | 'status') : undefined;
    },
    refusal(req) {
      if (!req.url?.startsWith(`${prefix}${ZAPI.token}/`)) return { status: 404, error: 'Instance not found' };
      if (req.headers['client-token'] !== ZAPI.clientToken) return { status: 403, error: 'Client-Token not allowed' };
      return undefined;
    },
  });
}
