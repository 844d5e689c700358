import { z } from 'zod';
import type { SourceType } from './registry.js';
import { baseUrlSetting, gatewaySettings, whatsappGatewaySource } from './whatsapp-gateway.js';

const schema = z.strictObject({
  baseUrl: baseUrlSetting('https://www.plugchat.com.br/api/whatsapp'),
  /** Sent bare in `Authorization`, as every page of PlugChat's documentation shows it (no `Bearer`). */
  token: z.string().min(1),
  ...gatewaySettings,
});

/**
 * PlugChat: `GET {baseUrl}/profile-picture?phone=` with the token in `Authorization`
 * (github.com/fourpixelit/plug-chat-docs, docs/contacts/get-profile-picture.md).
 */
export const plugchatSource: SourceType<z.output<typeof schema>> = {
  schema,
  create: (name, settings) =>
    whatsappGatewaySource(
      name,
      {
        endpoint: (path) => `${settings.baseUrl}/${path}`,
        gateway: 'PlugChat',
        headers: { authorization: settings.token },
        credentials: 'token',
        secrets: [settings.token],
      },
      settings,
    ),
};
