import { z } from 'zod';
import type { SourceType } from './registry.js';
import { baseUrlSetting, gatewaySettings, whatsappGatewaySource } from './whatsapp-gateway.js';

const schema = z.strictObject({
  baseUrl: baseUrlSetting('https://api.z-api.io'),
  instance: z.string().min(1),
  /** The instance's token: part of every URL. */
  token: z.string().min(1),
  /**
   * The account's security token, sent as `Client-Token`: Z-API's is optional, made in the
   * account's "Segurança" tab and off until activated (docs/security/client-token.md).
   */
  clientToken: z.string().min(1).optional(),
  ...gatewaySettings,
});

const CLIENT_TOKEN_REFUSED = /^(?:(?:null|client-token .+) not allowed|your client-token is not configured)$/i;

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
        headers: settings.clientToken === undefined ? {} : { 'client-token': settings.clientToken },
        credentials: 'instance, token and clientToken',
        secrets: [settings.instance, settings.token, ...(settings.clientToken === undefined ? [] : [settings.clientToken])],
        // The account's security token refused: the docs answer a request without it {"error": "null not allowed"}
        // (the header's value, no status given); in the wild a wrong one is "Client-Token <sent> not allowed" and a
        // missing one 400 "your client-token is not configured". Matched whole: "phone not allowed…" is about the request.
        refusesCredentials: (status, said) => status >= 400 && status < 500 && CLIENT_TOKEN_REFUSED.test(said ?? ''),
      },
      settings,
    ),
};
