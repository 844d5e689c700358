import { z } from 'zod';
import type { SourceType } from './registry.js';
import { baseUrlSetting, gatewaySettings, whatsappGatewaySource } from './whatsapp-gateway.js';

const schema = z.strictObject({
  baseUrl: baseUrlSetting('https://api.z-api.io'),
  instance: z.string().min(1),
  /** The instance's token: part of every URL. */
  token: z.string().min(1),
  /** The account's security token, sent as `Client-Token`. */
  clientToken: z.string().min(1),
  ...gatewaySettings,
});

/**
 * Z-API: `GET /instances/{instance}/token/{token}/profile-picture?phone=` with a `Client-Token`
 * header (https://developer.z-api.io/en/contacts/get-profile-picture).
 */
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
        secrets: [settings.instance, settings.token, settings.clientToken],
        // An account whose security token is off, or a missing header, gets
        // 400 {"error":"your client-token is not configured"}; the docs' wording is "null not allowed".
        refusesCredentials: (status, said) => status === 400 && /client-token|not allowed/i.test(said ?? ''),
      },
      settings,
    ),
};
