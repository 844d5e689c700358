import type { WhatsappCdn } from './whatsapp-cdn.js';
import { startGatewaySimulator, type GatewaySimulator } from './whatsapp-gateway.js';

export const PLUGCHAT_TOKEN = '1nEFbU3EktLnV7LIIzX';

/**
 * PlugChat (github.com/fourpixelit/plug-chat-docs): `GET /api/whatsapp/profile-picture` and
 * `GET /api/whatsapp/status` (docs/contacts/get-profile-picture.md, docs/instance/status.md),
 * the token bare in `Authorization`, as every page shows it (none shows `Bearer`); anything
 * else is 401 ("certifique que esteja enviando corretamente o Authorization", e.g.
 * docs/chats/finish-attendance.md). Every page documents 415 without
 * a JSON Content-Type, and its examples send one on GET. Status adds `session` to Z-API's fields.
 */
export function startPlugchat(cdn: WhatsappCdn): Promise<GatewaySimulator> {
  return startGatewaySimulator(
    cdn,
    {
      endpointOf: (pathname) => (pathname === '/profile-picture' ? 'profile-picture' : pathname === '/status' ? 'status' : undefined),
      refusal: (req) => (req.headers.authorization === PLUGCHAT_TOKEN ? undefined : { status: 401, body: { error: 'unauthorized' } }),
      requiresJsonContentType: new Set(['profile-picture', 'status']),
      statusBody: (connected) => ({ connected, session: connected, error: connected ? null : 'You are not connected.', smartphoneConnected: connected }),
    },
    '/api/whatsapp',
  );
}
