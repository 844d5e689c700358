import { z } from 'zod';
import type { SourceType } from './registry.js';
import { baseUrlSetting, whatsappGatewaySource } from './whatsapp-gateway.js';
import { linkSettings } from './whatsapp-link.js';

const schema = z.strictObject({
  baseUrl: baseUrlSetting('https://api.z-api.io'),
  instance: z.string().min(1),
  /** The instance's token: part of every URL. */
  token: z.string().min(1),
  /** The account's security token, sent as `Client-Token`. */
  clientToken: z.string().min(1),
  ...linkSettings,
});

/** Z-API: `GET /instances/{instance}/token/{token}/profile-picture?phone=` with a `Client-Token` header. */
export const zapiSource: SourceType<z.output<typeof schema>> = {
  schema,
  create: (name, settings) =>
    whatsappGatewaySource(
      name,
      {
        endpoint: (path) => `${settings.baseUrl}/instances/${encodeURIComponent(settings.instance)}/token/${encodeURIComponent(settings.token)}/${path}`,
        gateway: 'Z-API',
        headers: { 'client-token': settings.clientToken },
        credentials: 'instance, token and clientToken',
      },
      settings,
    ),
};
