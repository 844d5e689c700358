import type { WhatsappCdn } from './whatsapp-cdn.js';
import { startGatewaySimulator, type GatewaySimulator } from './whatsapp-gateway.js';

export const PLUGCHAT_TOKEN = '1nEFbU3EktLnV7LIIzX';

/**
 * PlugChat: `/api/whatsapp/profile-picture` with the token in `Authorization`, bare on
 * the instance API or as `Bearer <token>` on the partner API; anything else is 401.
 */
export function startPlugchat(cdn: WhatsappCdn, scheme: 'bare' | 'bearer' = 'bare'): Promise<GatewaySimulator> {
  const expected = scheme === 'bearer' ? `Bearer ${PLUGCHAT_TOKEN}` : PLUGCHAT_TOKEN;
  return startGatewaySimulator(
    cdn,
    {
      endpointOf: (pathname) => (pathname === '/profile-picture' ? 'profile-picture' : pathname === '/status' ? 'status' : undefined),
      refusal: (req) => (req.headers.authorization === expected ? undefined : { status: 401, error: 'unauthorized' }),
    },
    '/api/whatsapp',
  );
}
