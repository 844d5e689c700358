import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { outboundRequest, OutboundRefused, type OutboundPolicy } from './outbound-http.js';
import { PermanentSourceError } from './photo-source.js';

/** A backstop only: each call to a source is timed by BRIDGE_SOURCE_TIMEOUT_MS. */
const LINK_TIMEOUT_MS = 30_000;
/** How WhatsApp's CDN answers a link past its `oe=` expiry (48 h) or for a photo since replaced. */
const DEAD_LINK_STATUSES: ReadonlySet<number> = new Set([403, 404, 410]);

/**
 * Settings of every WhatsApp gateway source for the profile-picture link it hands out.
 * The link comes from a third party, so it is fetched as untrusted: https only, allowed
 * hosts only, public addresses only, capped, never redirected.
 */
export const linkSettings = {
  /** Hosts a link may point to: exact names or `*.domain`. */
  linkHosts: z
    .array(z.string().regex(/^(\*\.)?[\w.-]+$/, 'a host name or *.domain'))
    .min(1)
    .default(['*.whatsapp.net']),
  /** Labs and tests: a PEM file of a certificate authority to trust for links. */
  linkCaFile: z
    .string()
    .refine((path) => existsSync(path), 'no such file')
    .optional(),
  /** Labs and tests only: let links reach loopback and private addresses. */
  allowPrivateLinkAddresses: z.boolean().default(false),
  maxPhotoBytes: z
    .number()
    .int()
    .min(1024)
    .max(50 * 1024 * 1024)
    .default(5 * 1024 * 1024),
};

type LinkSettings = z.output<z.ZodObject<typeof linkSettings>>;

/** A link's bytes, or "dead": expired or gone, worth asking the gateway for a fresh one. */
export type LinkResult = { kind: 'photo'; bytes: Buffer } | { kind: 'dead' };

export function photoLinkFetcher(settings: LinkSettings): (link: string, signal: AbortSignal) => Promise<LinkResult> {
  const policy: OutboundPolicy = {
    allowedHosts: settings.linkHosts,
    httpsOnly: true,
    publicAddressesOnly: !settings.allowPrivateLinkAddresses,
    extraCa: settings.linkCaFile ? readFileSync(settings.linkCaFile, 'utf8') : undefined,
    maxBytes: settings.maxPhotoBytes,
    timeoutMs: LINK_TIMEOUT_MS,
  };
  return async (link, signal) => {
    let response;
    try {
      // Only an Accept header: the link carries its own signature, and the gateway's credentials stay with the gateway.
      response = await outboundRequest(link, policy, { headers: { accept: 'image/*' }, signal });
    } catch (error) {
      if (error instanceof OutboundRefused) throw new PermanentSourceError(`photo link refused: ${error.message}`);
      throw error;
    }
    const { status } = response;
    if (status === 200) return { kind: 'photo', bytes: response.body };
    if (DEAD_LINK_STATUSES.has(status)) return { kind: 'dead' };
    if (status >= 300 && status < 400) throw new PermanentSourceError(`photo link redirects (${status}); redirects are not followed`);
    if (status === 429 || status >= 500) throw new Error(`photo link answered ${status}`);
    throw new PermanentSourceError(`photo link answered ${status}`);
  };
}
